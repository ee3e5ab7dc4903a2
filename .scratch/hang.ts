import OpenAI from 'openai'
import { buildOpenAiServer } from '../node/openai/index.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { ALICE_TOKEN, LlamaBackend, MODEL } from '../test/node/openai/llama-backend.ts'
const dir = await tempDir()
const backend = await LlamaBackend.start(dir.path)
const app = await buildOpenAiServer({ backend, logger: false, defaults: { maxTokens: 16, maxTokensLimit: 400 } })
await app.listen({ host: '127.0.0.1', port: 0 })
const sockets = new Set<import('node:net').Socket>()
app.server.on('connection', (s) => { sockets.add(s); console.log('conn', s.remotePort); s.on('close', () => { console.log('close', s.remotePort); sockets.delete(s) }) })
const address = app.server.address() as { port: number }
const client = new OpenAI({ baseURL: `http://127.0.0.1:${address.port}/v1`, apiKey: ALICE_TOKEN, maxRetries: 0 })
await client.models.list()
await client.models.retrieve('nope').catch(() => {})
console.log('models done')
const abort = new AbortController()
const failed = client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 400 }, { signal: abort.signal }).catch((e) => e)
while (backend.completions.length === 0) await new Promise((r) => setTimeout(r, 5))
abort.abort()
console.log((await failed).name, await backend.lastOutcome().then((r) => (r as any).stopReason))
await new Promise((r) => setTimeout(r, 200))
console.log('open sockets', sockets.size)
const t = performance.now()
await app.close()
console.log('closed in', performance.now() - t)
await backend.stop()
await dir.remove()
