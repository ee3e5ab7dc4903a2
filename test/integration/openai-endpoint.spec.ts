import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import OpenAI from 'openai'
import { agentClient, collectAnswer, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '16']

interface Turn { role: string, content: string }

describe('OpenAI-compatible endpoint (real node processes, the official openai client)', function () {
  this.timeout(120_000)
  let dirs: Array<{ path: string, remove: () => Promise<void> }>
  let node: NodeProcess
  let token: string
  let openaiUrl: string

  before(async () => {
    dirs = [await tempDir(), await tempDir()]
    node = await startNodeProcess(dirs[0]!.path, [...INFERENCE, '--openai-listen', '127.0.0.1:0'])
    const url = node.logs.find((l) => typeof l.openai === 'string')?.openai
    expect(url, 'the ready line names the OpenAI address').to.be.a('string')
    openaiUrl = url as string
    const added = await runCli(['admin', 'users', 'add', 'carol', '--json', '--admin-addr', node.admin, '--data-dir', dirs[0]!.path])
    token = JSON.parse(added.stdout).token
  })
  after(async () => {
    await node?.stop()
    for (const dir of dirs ?? []) await dir.remove()
  })

  it('should list agent and the models, and refuse a bad key with 401', async () => {
    const client = new OpenAI({ baseURL: openaiUrl, apiKey: token, maxRetries: 0 })
    const ids = []
    for await (const model of client.models.list()) ids.push(model.id)
    expect(ids).to.deep.equal(['agent', 'plexi-tiny-f16'])
    const bad = new OpenAI({ baseURL: openaiUrl, apiKey: 'wrong', maxRetries: 0 })
    const err = await bad.models.list().then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(OpenAI.AuthenticationError)
  })

  it('should complete statelessly on a raw model, streaming and not, with usage', async () => {
    const client = new OpenAI({ baseURL: openaiUrl, apiKey: token, maxRetries: 0 })
    const messages = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Hi there' }]
    const whole = await client.chat.completions.create({ model: 'plexi-tiny-f16', messages, max_tokens: 12, temperature: 0 })
    expect(whole.choices[0]?.finish_reason).to.equal('length')
    expect(whole.usage?.completion_tokens).to.equal(12)
    expect(whole.usage?.prompt_tokens).to.be.greaterThan(5)
    const stream = await client.chat.completions.create({ model: 'plexi-tiny-f16', messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } })
    let text = ''
    let usage: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? ''
      if (chunk.usage != null) usage = chunk.usage
    }
    expect(text).to.equal(whole.choices[0]?.message.content)
    expect(usage?.completion_tokens).to.equal(12)
    const missing = await client.chat.completions.create({ model: 'nope', messages }).then(() => undefined, (e: unknown) => e)
    expect(missing).to.be.instanceOf(OpenAI.NotFoundError)
  })

  it('should talk to the caller\'s own agent as model "agent", keeping the turns in its history', async () => {
    const client = new OpenAI({ baseURL: openaiUrl, apiKey: token, maxRetries: 0 })
    const stream = await client.chat.completions.create({ model: 'agent', messages: [{ role: 'user', content: 'remember me' }], stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
    const agent = agentClient(node.grpc, token)
    try {
      const { turns } = await agent.call<{ turns: Turn[] }>('History', {})
      expect(turns.map((t) => [t.role, t.content])).to.deep.equal([['user', 'remember me'], ['assistant', text]])
    } finally {
      agent.close()
    }
  })

  it('should serve another node through the HTTP runtime: a <name>.json model pointing at this endpoint', async () => {
    const second = dirs[1]!.path
    await runCli(['model', 'gen-tiny', '--data-dir', second])   // so that the second node does not generate one itself
    await writeFile(join(second, 'models', 'remote-tiny.json'), JSON.stringify({ runtime: 'openai', baseUrl: openaiUrl, apiKey: token, model: 'plexi-tiny-f16', contextSize: 2048, slots: 2 }))
    const other = await startNodeProcess(second, [...INFERENCE, '--default-model', 'remote-tiny'])
    try {
      const added = await runCli(['admin', 'users', 'add', 'dave', '--json', '--admin-addr', other.admin, '--data-dir', second])
      const dave = agentClient(other.grpc, JSON.parse(added.stdout).token)
      try {
        await dave.call('Configure', { temperature: 0 })
        const { events, error } = await collectAnswer(dave.ask('through another node'))
        expect(error?.details).to.equal(undefined)
        const done = events.at(-1)?.done
        expect(done).to.include({ model: 'remote-tiny', stopReason: 'max-tokens', completionTokens: 16 })
        const pieces = events.filter((e) => e.token != null).map((e) => e.token?.text).join('')
        expect(pieces.length).to.be.greaterThan(0)
      } finally {
        dave.close()
      }
      const models = JSON.parse((await runCli(['admin', 'models', 'ls', '--json', '--admin-addr', other.admin, '--data-dir', second])).stdout) as Array<{ name: string, runtime: string, backend?: string }>
      expect(models.find((m) => m.name === 'remote-tiny')).to.include({ runtime: 'openai-http', backend: openaiUrl })
    } finally {
      await other.stop()
    }
  })
})
