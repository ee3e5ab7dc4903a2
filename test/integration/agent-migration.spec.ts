/**
 * An agent's answer in flight while its agent moves (issue 14), on real node processes with real
 * llama.cpp on the generated model: A and B hold the ai role (C keeps a storage majority once A
 * has left). A user's agent lives on A and is generating a long answer for a client connected to
 * B (the gateway that serves the stream) when A gets SIGTERM. The drain moves the agent to B, the
 * only other ai member, and the move waits for the answer (EntityHost.release waits for busy work,
 * up to migration-timeout): the client gets the whole answer and its `done`, no error, nothing
 * interrupted, and the agent's history on B holds that turn.
 */
import { expect } from 'chai'
import { agentClient, collectAnswer } from '../helpers/node-process.ts'
import type { AskEvent } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'

/** llama.cpp on the CPU, one thread per context (docs/models.md: more threads than free cores
 * makes generation many times slower). */
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1']
/** Long enough that the answer is still streaming when A gets SIGTERM (the test model generates
 * about a thousand tokens a second on an idle core; greedy, it never stops before max tokens). */
const MAX_TOKENS = 1200
/** The drain waits this long for the answer, far more than it takes even on a busy machine: the
 * test must not depend on the machine's speed. */
const MIGRATION_TIMEOUT = 90_000

interface Turn { requestId: string, role: string, content: string, stopReason: string }

describe('an agent that moves while it answers (real processes, real llama.cpp)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster({ args: ['--migration-timeout', String(MIGRATION_TIMEOUT)] })
  const ai = { roles: 'ai,chat,storage', args: [...INFERENCE, '--agent-max-tokens', String(MAX_TOKENS)] }

  before(async () => {
    await cluster.start([ai, ai, 'chat,storage'])
  })

  after(async () => {
    await cluster.close()
  })

  it('should finish the answer in flight when its agent\'s node drains, and keep the turn in the agent\'s history on its new owner', async () => {
    const [a, b] = cluster.slots as [NodeSlot, NodeSlot]
    // a user whose agent placement puts on A (and so on B once A drains)
    let user: string | undefined
    for (let i = 0; i < 200 && user === undefined; i++) {
      if (await cluster.ownerOf(b, 'agent', 'ai', `asker${i}`) === a.peerId) user = `asker${i}`
    }
    expect(user, 'a user whose agent lives on A').to.be.a('string')
    const token = await cluster.addUser(user as string, b)
    const client = agentClient(b.node.grpc, token)
    try {
      // greedy: the answer runs to MAX_TOKENS
      await client.call('Configure', { temperature: 0 })
      const agents = await cluster.api<Array<{ key: string, node: string }>>(b, '/actors?type=agent')
      expect(agents.find((x) => x.key === user)?.node, 'where the agent lives before the drain').to.equal(a.peerId)

      const stream = client.ask('Tell me a very long story.')
      const answer = collectAnswer(stream, 180_000)
      const seen: AskEvent[] = []
      const firstToken = new Promise<void>((resolve) => {
        stream.on('data', (event: AskEvent) => {
          seen.push(event)
          if (event.token != null) resolve()
        })
      })
      await Promise.race([firstToken, answer.then(({ error }) => { throw new Error(`the answer ended before its first token: ${error?.details ?? 'no error'}`) })])
      // A drains while the answer streams
      const exiting = a.node.stop('SIGTERM', MIGRATION_TIMEOUT + 60_000)
      const atSigterm = { tokens: seen.filter((e) => e.token != null).length, done: seen.some((e) => e.done != null) }
      const { events, error } = await answer
      const exit = await exiting

      expect(atSigterm.done, 'the answer was still streaming when A got SIGTERM').to.equal(false)
      expect(atSigterm.tokens, 'tokens the client had when A got SIGTERM').to.be.lessThan(MAX_TOKENS)
      expect(error?.details, 'the answer\'s error').to.equal(undefined)
      const done = events.at(-1)?.done
      expect(done, 'the answer ends with done').to.not.equal(undefined)
      expect(done).to.include({ stopReason: 'max-tokens', completionTokens: MAX_TOKENS })
      const requestId = events[0]?.started?.requestId
      expect(done?.requestId).to.equal(requestId)
      const text = events.filter((e) => e.token != null).map((e) => e.token?.text ?? '').join('')

      expect(exit, 'A\'s exit after its drain').to.deep.equal({ code: 0, signal: null })
      const report = await a.node.awaitLog((l) => typeof l.msg === 'string' && /^drain: \d+ entities moved/.test(l.msg), 'the drain report')
      expect(report.outcomes, 'every move of the drain live (the agent waited for, not interrupted or recovered cold)').to.deep.equal({ moved: report.moved })
      const after = await cluster.api<Array<{ key: string, node: string }>>(b, '/actors?type=agent')
      expect(after.find((x) => x.key === user)?.node, 'where the agent lives after the drain').to.equal(b.peerId)

      const { turns } = await client.call<{ turns: Turn[] }>('History', {})
      expect(turns.map((t) => [t.role, t.content]), 'the agent\'s history on B').to.deep.equal([['user', 'Tell me a very long story.'], ['assistant', text]])
      expect(turns[1]).to.include({ requestId, stopReason: 'max-tokens' })

      // and the agent answers on its new owner, its conversation intact
      await client.call('Configure', { maxTokens: 8 })
      const next = await collectAnswer(client.ask('And then?'), 60_000)
      expect(next.error?.details, 'the next answer\'s error').to.equal(undefined)
      expect(next.events.at(-1)?.done).to.include({ stopReason: 'max-tokens', completionTokens: 8 })
      const later = (await client.call<{ turns: Turn[] }>('History', {})).turns
      expect(later.map((t) => t.content).slice(0, 3)).to.deep.equal(['Tell me a very long story.', text, 'And then?'])
    } finally {
      client.close()
    }
  })
})
