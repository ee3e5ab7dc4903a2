import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { decodeRetryStatus, loadRetryInfoTypes } from '../../protocols/grpc/index.ts'
import { agentClient, chatClient, collectAnswer, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { AskEvent, NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

/** Tests run llama.cpp on the CPU with one thread per context (docs/models.md: more
 * threads than free cores makes generation many times slower). */
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '24']

interface Turn { requestId: string, role: string, content: string, stopReason: string, model: string }

/** Polls until `check` gives a value (bounded by `timeout`). */
async function until<T> (check: () => T | undefined | Promise<T | undefined>, what: string, timeout: number): Promise<T> {
  let value: T | undefined
  await waitFor(async () => (value = await check()) !== undefined, what, { timeout, interval: 20 })
  return value as T
}

const tokensOf = (events: AskEvent[]): string[] => events.filter((e) => e.token != null).map((e) => e.token?.text ?? '')
const doneOf = (events: AskEvent[]): NonNullable<AskEvent['done']> => {
  const done = events.at(-1)?.done
  if (done == null) throw new Error(`the stream did not end with done: ${JSON.stringify(events.at(-1))}`)
  return done
}

describe('agents (real node processes, real llama.cpp on the generated model)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  let tokens: Record<'alice' | 'bob', string>
  const admin = (args: string[]) => runCli(['admin', ...args, '--admin-addr', node.admin, '--data-dir', dir.path])

  before(async () => {
    dir = await tempDir()
    node = await startNodeProcess(dir.path, [...INFERENCE, '--inference-contexts', '2'])
    tokens = { alice: '', bob: '' }
    for (const user of ['alice', 'bob'] as const) {
      const added = await admin(['users', 'add', user, '--json'])
      expect(added.code, added.stderr).to.equal(0)
      tokens[user] = JSON.parse(added.stdout).token
    }
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })

  it('should stream the answer token by token, starting with its request id and ending with its usage, and keep both turns in the history', async () => {
    const alice = agentClient(node.grpc, tokens.alice)
    try {
      await alice.call('Configure', { temperature: 0 })
      const { events, error } = await collectAnswer(alice.ask('Hello, who are you?'))
      expect(error, error?.details).to.equal(undefined)
      const requestId = events[0]?.started?.requestId
      expect(requestId).to.be.a('string')
      const pieces = tokensOf(events)
      const done = doneOf(events)
      expect(pieces.length).to.be.greaterThan(1)
      expect(done).to.include({ requestId, stopReason: 'max-tokens', completionTokens: 24, model: 'plexi-tiny-f16' })
      expect(done.promptTokens).to.be.greaterThan(10)
      const { turns } = await alice.call<{ turns: Turn[] }>('History', {})
      expect(turns.map((t) => [t.role, t.content])).to.deep.equal([['user', 'Hello, who are you?'], ['assistant', pieces.join('')]])
      expect(turns[1]).to.include({ requestId, stopReason: 'max-tokens', model: 'plexi-tiny-f16' })
    } finally {
      alice.close()
    }
  })

  it('should answer two users at once, each seeing only their own conversation', async () => {
    const alice = agentClient(node.grpc, tokens.alice)
    const bob = agentClient(node.grpc, tokens.bob)
    try {
      const [a, b] = await Promise.all([collectAnswer(alice.ask('alice asks')), collectAnswer(bob.ask('bob asks'))])
      expect(a.error?.details).to.equal(undefined)
      expect(b.error?.details).to.equal(undefined)
      expect(doneOf(a.events).completionTokens).to.equal(24)
      expect(doneOf(b.events).completionTokens).to.equal(24)
      const bobTurns = (await bob.call<{ turns: Turn[] }>('History', {})).turns
      expect(bobTurns.map((t) => t.content)).to.deep.equal(['bob asks', tokensOf(b.events).join('')])
      const aliceTurns = (await alice.call<{ turns: Turn[] }>('History', {})).turns
      expect(aliceTurns.map((t) => t.content)).to.not.include('bob asks')
      expect(aliceTurns.at(-2)?.content).to.equal('alice asks')
    } finally {
      alice.close()
      bob.close()
    }
  })

  it('should refuse another user\'s token with PERMISSION_DENIED on every call, changing nothing', async () => {
    const bob = agentClient(node.grpc, tokens.bob)
    const alice = agentClient(node.grpc, tokens.alice)
    try {
      const before = (await alice.call<{ turns: Turn[] }>('History', {})).turns
      const ask = await collectAnswer(bob.ask('let me in', 'alice'))
      expect(ask.error?.code).to.equal(grpc.status.PERMISSION_DENIED)
      expect(ask.error?.details).to.match(/bob may not talk to alice's agent/)
      for (const [method, request] of [['History', { user: 'alice' }], ['Configure', { user: 'alice', persona: 'evil' }], ['Reset', { user: 'alice' }], ['GetSettings', { user: 'alice' }]] as const) {
        const err = await bob.call(method, request).then(() => undefined, (e: grpc.ServiceError) => e)
        expect(err?.code, method).to.equal(grpc.status.PERMISSION_DENIED)
      }
      const anonymous = agentClient(node.grpc, undefined)
      const err = await anonymous.call('History', {}).then(() => undefined, (e: grpc.ServiceError) => e)
      anonymous.close()
      expect(err?.code).to.equal(grpc.status.UNAUTHENTICATED)
      expect((await alice.call<{ turns: Turn[] }>('History', {})).turns).to.deep.equal(before)
      expect((await alice.call<{ persona: string }>('GetSettings', {})).persona).to.not.equal('evil')
    } finally {
      bob.close()
      alice.close()
    }
  })

  it('should validate Configure and Ask, and keep settings across calls', async () => {
    const bob = agentClient(node.grpc, tokens.bob)
    try {
      for (const request of [{ temperature: 3 }, { topP: 1.5 }, { maxTokens: 0 }, { model: 'no-such-model' }, { persona: 'x'.repeat(9000) }]) {
        const err = await bob.call('Configure', request).then(() => undefined, (e: grpc.ServiceError) => e)
        expect(err?.code, JSON.stringify(request).slice(0, 40)).to.be.oneOf([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND])
        expect(err?.details).to.match(/temperature|topP|maxTokens|no-such-model|persona/)
      }
      const set = await bob.call<{ persona: string, model: string, sampling: { temperature: number, maxTokens: number } }>('Configure', { persona: 'You are terse.', model: 'plexi-tiny-f16', maxTokens: 8 })
      expect(set).to.deep.include({ persona: 'You are terse.', model: 'plexi-tiny-f16' })
      expect(set.sampling.maxTokens).to.equal(8)
      const empty = await collectAnswer(bob.ask('   '))
      expect(empty.error?.code).to.equal(grpc.status.INVALID_ARGUMENT)
      const { events } = await collectAnswer(bob.ask('short answer please'))
      expect(doneOf(events).completionTokens).to.equal(8)
      await bob.call('Configure', { maxTokens: 24, persona: '' })
    } finally {
      bob.close()
    }
  })

  it('should stop the generation when the client cancels, keeping what was said', async () => {
    const alice = agentClient(node.grpc, tokens.alice)
    try {
      await alice.call('Configure', { maxTokens: 1500 })
      const stream = alice.ask('tell me a long story')
      const received: string[] = []
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('no tokens within 30 s')) }, 30_000)
        stream.on('data', (e: AskEvent) => {
          if (e.token == null) return
          received.push(e.token.text)
          if (received.length === 5) {
            clearTimeout(timer)
            stream.cancel()
            resolve()
          }
        })
        stream.on('error', () => undefined)
      })
      const turns = await until(async () => {
        const { turns } = await alice.call<{ turns: Turn[] }>('History', {})
        return turns.at(-1)?.role === 'assistant' && turns.at(-2)?.content === 'tell me a long story' ? turns : undefined
      }, 'the cancelled answer in the history', 30_000)
      const last = turns.at(-1) as Turn
      expect(last.stopReason).to.equal('cancelled')
      expect(last.content.startsWith(received.join(''))).to.equal(true)
      expect(Buffer.byteLength(last.content)).to.be.lessThan(1500)
      await alice.call('Configure', { maxTokens: 24 })
    } finally {
      alice.close()
    }
  })

  it('should answer @agent in a room as "<user>\'s agent", streaming pieces to live subscribers first', async () => {
    const chat = chatClient(node.grpc, tokens.alice)
    const stream = chat.subscribe('agent-room', 0) as unknown as grpc.ClientReadableStream<{
      message?: { seq: number, user: string, text: string }, live?: unknown, agentPartial?: { requestId: string, user: string, text: string, inReplyTo: number }
    }>
    const messages: Array<{ seq: number, user: string, text: string }> = []
    const partials: Array<{ user: string, text: string, inReplyTo: number }> = []
    let live = false
    stream.on('data', (e) => {
      if (e.message != null) messages.push(e.message)
      else if (e.agentPartial != null) partials.push(e.agentPartial)
      else if (e.live != null) live = true
    })
    stream.on('error', () => undefined)
    try {
      await until(() => live || undefined, 'the live marker', 10_000)
      const ack = await chat.call<{ seq: number }>('Post', { room: 'agent-room', text: 'hey @agent, say something' })
      const answer = await until(() => messages.find((m) => m.user === "alice's agent"), "alice's agent's message", 60_000)
      expect(answer.seq).to.equal(ack.seq + 1)
      expect(partials.length).to.be.greaterThan(1)
      expect(partials.every((p) => p.user === "alice's agent" && p.inReplyTo === ack.seq)).to.equal(true)
      expect(partials.map((p) => p.text).join('')).to.equal(answer.text)
      const history = await chat.call<{ messages: Array<{ user: string, text: string }> }>('History', { room: 'agent-room', after: 0, limit: 10 })
      expect(history.messages.map((m) => m.user)).to.deep.equal(['alice', "alice's agent"])
      const plain = await chat.call<{ seq: number }>('Post', { room: 'agent-room', text: 'mail me at x@agent.example' })
      await until(() => messages.find((m) => m.seq === plain.seq), 'the plain post', 10_000)
    } finally {
      stream.cancel()
      chat.close()
    }
  })

  it('should stream an answer through `plexi agent ask`, and print it whole with --json', async () => {
    const text = await runCli(['agent', 'ask', 'hello from the CLI', '--addr', node.grpc, '--user', 'bob', '--data-dir', dir.path])
    expect(text.code, text.stderr).to.equal(0)
    expect(text.stdout.length).to.be.greaterThan(1)
    const json = await runCli(['agent', 'ask', 'and again', '--json', '--addr', node.grpc, '--token', tokens.bob])
    expect(json.code, json.stderr).to.equal(0)
    const answer = JSON.parse(json.stdout) as { text: string, stopReason: string, completionTokens: number }
    // the generated model's weights are random: it says its end-of-sequence token now and then
    // before max-tokens (24 here), which ends the answer as any model's would
    if (answer.stopReason === 'eos') expect(answer.completionTokens).to.be.within(1, 24)
    else expect(answer).to.include({ stopReason: 'max-tokens', completionTokens: 24 })
    const history = await runCli(['agent', 'history', '--json', '--addr', node.grpc, '--token', tokens.bob])
    const turns = JSON.parse(history.stdout) as Turn[]
    expect(turns.at(-1)?.content).to.equal(answer.text)
    const denied = await runCli(['agent', 'ask', 'x', '--addr', node.grpc, '--token', 'not-a-token'])
    expect(denied.code).to.equal(1)
    expect(denied.stderr).to.match(/UNAUTHENTICATED/)
  })

  it('should keep the tools an admin grants a user, and the user\'s own switches, through `plexi admin users tools` and `plexi agent tools`', async () => {
    const granted = await admin(['users', 'tools', 'bob', '--grant', 'clock__*,calc__add'])
    expect(granted.code, granted.stderr).to.equal(0)
    expect(granted.stdout).to.equal('granted to bob: calc__add, clock__*\n')
    const off = await runCli(['agent', 'tools', '--disable', 'clock__*', '--json', '--addr', node.grpc, '--token', tokens.bob])
    expect(off.code, off.stderr).to.equal(0)
    // no plugin runs on this node: nothing is offered, whatever is granted
    expect(JSON.parse(off.stdout)).to.deep.equal({ granted: ['calc__add', 'clock__*'], enabled: [], disabled: ['clock__*'], tools: [] })
    const denied = await runCli(['agent', 'tools', '--enable', 'files__read', '--addr', node.grpc, '--token', tokens.bob])
    expect(denied.code).to.equal(1)
    expect(denied.stderr).to.match(/PERMISSION_DENIED|not granted to you/)
    expect((await admin(['users', 'tools', 'bob', '--json'])).stdout).to.equal(`${JSON.stringify({ user: 'bob', granted: ['calc__add', 'clock__*'], enabled: [], disabled: ['clock__*'] }, null, 2)}\n`)
  })

  it('should show loaded models with memory and backend, load and unload them on request, and count tokens in /metrics', async () => {
    const list = await admin(['models', 'ls', '--json'])
    expect(list.code, list.stderr).to.equal(0)
    const models = JSON.parse(list.stdout) as Array<{ name: string, loaded: string[], memoryBytes?: number, backend?: string }>
    const tiny = models.find((m) => m.name === 'plexi-tiny-f16')
    expect(tiny?.loaded).to.have.length(1)
    expect(tiny?.memoryBytes).to.be.greaterThan(7_000_000)
    expect(tiny?.backend).to.equal('cpu')
    const unloaded = await admin(['models', 'unload', 'plexi-tiny-f16', '--json'])
    expect(unloaded.code, unloaded.stderr).to.equal(0)
    expect(JSON.parse(unloaded.stdout).loaded).to.deep.equal([])
    const again = await admin(['models', 'unload', 'plexi-tiny-f16'])
    expect(again.code).to.equal(1)
    expect(again.stderr).to.match(/not loaded/)
    const unknown = await admin(['models', 'load', 'nope'])
    expect(unknown.code).to.equal(1)
    expect(unknown.stderr).to.match(/no model named nope/)
    const loaded = await admin(['models', 'load', 'plexi-tiny-f16', '--json'])
    expect(loaded.code, loaded.stderr).to.equal(0)
    expect(JSON.parse(loaded.stdout).loaded).to.have.length(1)
    const metrics = await (await fetch(`http://${node.admin}/metrics`)).text()
    const tokenCount = /plexi_inference_tokens_total\{model="plexi-tiny-f16"\} (\d+)/.exec(metrics)
    expect(Number(tokenCount?.[1])).to.be.greaterThan(24)
    expect(metrics).to.match(/plexi_inference_time_to_first_token_seconds_count\{model="plexi-tiny-f16"\} [1-9]/)
    expect(metrics).to.match(/plexi_models_loaded\{model="plexi-tiny-f16"\} 1/)
    expect(metrics).to.match(/plexi_inference_queue_depth/)
  })

  it('should keep every agent\'s history across a node restart', async () => {
    const alice = agentClient(node.grpc, tokens.alice)
    const before = (await alice.call<{ turns: Turn[] }>('History', {})).turns
    const settings = await alice.call('GetSettings', {})
    alice.close()
    expect(before.length).to.be.greaterThan(3)
    await node.stop()
    node = await startNodeProcess(dir.path, [...INFERENCE, '--inference-contexts', '2'])
    const again = agentClient(node.grpc, tokens.alice)
    try {
      expect((await again.call<{ turns: Turn[] }>('History', {})).turns).to.deep.equal(before)
      expect(await again.call('GetSettings', {})).to.deep.equal(settings)
      const reset = await again.call<{ turnsRemoved: number }>('Reset', {})
      expect(reset.turnsRemoved).to.equal(before.length)
      expect((await again.call<{ turns: Turn[] }>('History', {})).turns).to.deep.equal([])
    } finally {
      again.close()
    }
  })
})

describe('agents under load (real node process)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'] as const
  const tokens: Record<string, string> = {}

  before(async () => {
    dir = await tempDir()
    // one context and no queue: a second request at once is refused; 2 requests per minute each
    node = await startNodeProcess(dir.path, [...INFERENCE, '--inference-contexts', '1', '--inference-queue', '0', '--agent-requests-per-min', '2'])
    for (const user of users) {
      const added = await runCli(['admin', 'users', 'add', user, '--json', '--admin-addr', node.admin, '--data-dir', dir.path])
      tokens[user] = JSON.parse(added.stdout).token
    }
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })

  it('should refuse a request with RESOURCE_EXHAUSTED and a retry-after when every context is busy and the queue is full, and serve the next one', async () => {
    // (the generated model's weights are random: a long answer may end by itself after a few
    // tokens, before the second request comes, and then nothing was busy; that try does not count,
    // and another pair of users tries again, each user under its 2 requests a minute)
    for (const [u, v] of [['u1', 'u2'], ['u4', 'u5'], ['u6', 'u7']] as const) {
      const busy = agentClient(node.grpc, tokens[u] as string)
      const other = agentClient(node.grpc, tokens[v] as string)
      try {
        await busy.call('Configure', { maxTokens: 1500 })
        const long = busy.ask('a long one')
        let ended = false
        long.on('end', () => { ended = true })
        long.on('error', () => { ended = true })
        const first = collectAnswer(long)
        // busy for sure once its first token has come
        await new Promise<void>((resolve) => { long.on('data', (e: AskEvent) => { if (e.token != null) resolve() }) })
        const refused = await collectAnswer(other.ask('me too'))
        const endedFirst = ended
        long.cancel()
        await first
        if (refused.error === undefined && endedFirst) continue
        expect(refused.error?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
        expect(refused.error?.details).to.match(/busy.*retry in about \d+ s/)
        const retryAfter = Number(refused.error?.metadata.get('retry-after-ms')[0])
        expect(retryAfter).to.be.greaterThan(0)
        const details = refused.error?.metadata.get('grpc-status-details-bin')[0] as Buffer
        expect(decodeRetryStatus(loadRetryInfoTypes(), details).retryAfterMs).to.equal(retryAfter)
        // the refused question is not kept; once the cancelled one has ended, the next one works
        await until(async () => (await busy.call<{ turns: Turn[] }>('History', {})).turns.at(-1)?.stopReason === 'cancelled' || undefined, 'the cancelled answer to end', 30_000)
        const next = await collectAnswer(other.ask('now?'))
        expect(next.error?.details).to.equal(undefined)
        expect((await other.call<{ turns: Turn[] }>('History', {})).turns.map((t) => t.content)[0]).to.equal('now?')
        return
      } finally {
        busy.close()
        other.close()
      }
    }
    expect.fail('in three tries the long answer ended by itself before the second request came')
  })

  it('should refuse a user over their requests per minute with RESOURCE_EXHAUSTED, and not the others', async () => {
    const u3 = agentClient(node.grpc, tokens.u3)
    try {
      for (let i = 0; i < 2; i++) expect((await collectAnswer(u3.ask(`q${i}`))).error).to.equal(undefined)
      const third = await collectAnswer(u3.ask('one too many'))
      expect(third.error?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
      expect(third.error?.details).to.match(/at most 2 inference requests per minute/)
      expect(Number(third.error?.metadata.get('retry-after-ms')[0])).to.be.greaterThan(0)
    } finally {
      u3.close()
    }
  })
})
