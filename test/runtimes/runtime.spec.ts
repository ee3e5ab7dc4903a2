import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import { buildOpenAiServer } from '../../node/openai/index.ts'
import { OpenAiRuntime } from '../../runtimes/openai/index.ts'
import type { GenerateRequest, Runtime } from '../../runtimes/runtime.ts'
import { model, runtime as llamaRuntime } from '../helpers/llama-conversations.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { rejection } from '../helpers/thrown.ts'
import { ALICE_TOKEN, MODEL, RuntimeBackend } from '../node/openai/runtime-backend.ts'

const request = (maxTokens: number): GenerateRequest => ({ input: { messages: [{ role: 'user', content: 'Say something.' }] }, params: { maxTokens, temperature: 0, topP: 1, topK: 0 } })

/** The Runtime contract, held by both implementations: llama.cpp in this process's workers, and an
 * OpenAI-compatible server (a Plexi endpoint in front of llama.cpp). */
describe('Runtime', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let backend: RuntimeBackend
  let app: FastifyInstance
  let baseUrl: string

  before(async () => {
    dir = await tempDir()
    // room for the tools' documentation (about a thousand tokens of the byte-level test model)
    backend = await RuntimeBackend.withTinyModel(dir.path, 2048)
    app = await buildOpenAiServer({ backend, logger: false, defaults: { maxTokens: 16, maxTokensLimit: 400 } })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no TCP address')
    baseUrl = `http://127.0.0.1:${address.port}/v1`
  })
  after(async () => {
    await app?.close()
    await backend?.stop()
    await dir?.remove()
  })

  const implementations: Array<[string, () => Promise<Runtime>]> = [
    ['LlamaRuntime', async () => llamaRuntime(await model(dir.path, 'tiny'), { contextSize: 2048 })],
    ['OpenAiRuntime', async () => new OpenAiRuntime({ name: 'remote', baseUrl, apiKey: ALICE_TOKEN, model: MODEL, contextSize: 2048, slots: 1 })]
  ]

  for (const [name, make] of implementations) {
    describe(name, () => {
      it('should refuse to generate before load and after unload, with InferenceUnavailableError, and say whether it is loaded', async () => {
        const rt = await make()
        expect(rt.info()).to.include({ loaded: false })
        expect(rt.info().slots).to.be.at.least(1)
        expect((await rejection(() => rt.generate(request(2), () => {}))).name).to.equal('InferenceUnavailableError')
        await rt.load()
        await rt.load()   // idempotent
        expect(rt.info()).to.include({ loaded: true })
        await rt.unload()
        await rt.unload()   // idempotent
        expect(rt.info()).to.include({ loaded: false })
        expect((await rejection(() => rt.generate(request(2), () => {}))).name).to.equal('InferenceUnavailableError')
      })

      it('should stream pieces whose concatenation is the result\'s text, stop at maxTokens, and resolve cancelled for an aborted signal', async () => {
        const rt = await make()
        await rt.load()
        try {
          const pieces: string[] = []
          const result = await rt.generate(request(6), (text) => { pieces.push(text) })
          expect(pieces.join('')).to.equal(result.text)
          expect(result.stopReason).to.equal('max-tokens')
          expect(result.completionTokens).to.equal(6)
          expect(result.promptTokens).to.be.greaterThan(0)
          expect(result.durationMs).to.be.at.least(result.ttftMs)
          const aborted = AbortSignal.abort()
          const cancelled = await rt.generate(request(6), () => { throw new Error('no text is expected') }, aborted)
          expect(cancelled).to.include({ stopReason: 'cancelled', text: '' })
        } finally {
          await rt.unload()
        }
      })

      it('should call a forced tool, its arguments parsed, end at tool-calls, and answer after the call\'s result', async () => {
        const rt = await make()
        await rt.load()
        try {
          const tools = [{ name: 'clock__now', description: 'The time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } } } }]
          const asked = request(300)
          const called = await rt.generate({ ...asked, tools, toolChoice: { name: 'clock__now' } }, () => {})
          expect(called).to.include({ stopReason: 'tool-calls', text: '' })
          const call = called.toolCalls?.[0]
          if (call === undefined) throw new Error('expected a call')
          expect(call.name).to.equal('clock__now')
          expect(call.arguments.zone).to.be.a('string')
          const messages = 'messages' in asked.input ? asked.input.messages : []
          const after = await rt.generate({ ...request(6), input: { messages: [...messages, { role: 'assistant', content: '', toolCalls: [call] }, { role: 'tool', toolCallId: call.id, content: 'noon' }] }, tools }, () => {})
          expect(after).to.include({ stopReason: 'max-tokens', completionTokens: 6 })
          expect(after.toolCalls).to.equal(undefined)
        } finally {
          await rt.unload()
        }
      })
    })
  }
})
