import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { agentClient, collectAnswer, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { AskEvent, NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'

/** llama.cpp on the CPU, one thread per context (more threads than free cores is many times slower). */
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1']

interface Turn { requestId: string, role: string, content: string, stopReason: string }

const textOf = (events: AskEvent[]): string => events.filter((e) => e.token != null).map((e) => e.token?.text ?? '').join('')

/** Resolves at the first token of an answer's stream (bounded). */
function firstToken (stream: grpc.ClientReadableStream<AskEvent>, timeout = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no token within ${timeout} ms`)) }, timeout)
    stream.on('data', (e: AskEvent) => {
      if (e.token != null) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}

async function metric (node: NodeProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://${node.admin}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1] ?? Number.NaN)
}

describe('agents and bad requests (real node process, real llama.cpp)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  let token = ''

  before(async () => {
    dir = await tempDir()
    node = await startNodeProcess(dir.path, [...INFERENCE, '--agent-max-tokens', '8'])
    const added = await runCli(['admin', 'users', 'add', 'alice', '--json', '--admin-addr', node.admin, '--data-dir', dir.path])
    expect(added.code, added.stderr).to.equal(0)
    token = (JSON.parse(added.stdout) as { token: string }).token
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })

  it('should refuse bad settings with INVALID_ARGUMENT or NOT_FOUND and never restart the agent, however many come at once', async () => {
    const alice = agentClient(node.grpc, token)
    try {
      const settings = await alice.call('GetSettings', {})
      const failuresBefore = await metric(node, 'plexi_actor_failures_total')
      const restartsBefore = await metric(node, 'plexi_actor_restarts_total')
      const bad = [
        ...Array.from({ length: 20 }, (_, i) => ({ temperature: 3 + i })),
        { topP: 1.5 }, { topK: 5000 }, { maxTokens: 0 }, { temperature: -1 }
      ]
      const results = await Promise.allSettled(bad.map((req) => alice.call('Configure', req)))
      for (const r of results) {
        expect(r.status).to.equal('rejected')
        expect((r as PromiseRejectedResult).reason.code).to.equal(grpc.status.INVALID_ARGUMENT)
      }
      expect(((results[0] as PromiseRejectedResult).reason as grpc.ServiceError).details).to.match(/temperature: expected a number from 0 to 2, got 3/)
      // a model the agent's node does not have is checked by the agent itself: refused, no restart
      const unknown = await alice.call('Configure', { model: 'no-such-model' }).catch((err: grpc.ServiceError) => err)
      expect((unknown as grpc.ServiceError).code).to.equal(grpc.status.NOT_FOUND)
      // nothing changed, nothing crashed, and the agent answers at once
      expect(await alice.call('GetSettings', {})).to.deep.equal(settings)
      expect(await metric(node, 'plexi_actor_failures_total')).to.equal(failuresBefore)
      expect(await metric(node, 'plexi_actor_restarts_total')).to.equal(restartsBefore)
      const { events, error } = await collectAnswer(alice.ask('still there?'))
      expect(error?.details).to.equal(undefined)
      expect(events.at(-1)?.done?.completionTokens).to.equal(8)
      expect(node.logs.filter((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.includes('failed:'))).to.deep.equal([])
    } finally {
      alice.close()
    }
  })
})

describe('a node stopping while an agent answers (real node process, real llama.cpp)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess | undefined
  let token = ''

  before(async () => {
    dir = await tempDir()
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })

  /** Starts the node, asks alice's agent for a `maxTokens`-token answer, and sends SIGTERM at its
   * first token; returns the whole stream and the node's exit. */
  async function askThenStop (maxTokens: number, extra: readonly string[]): Promise<{ events: AskEvent[], error?: grpc.ServiceError, exit: { code: number | null }, logs: Array<Record<string, unknown>> }> {
    node = await startNodeProcess(dir.path, [...INFERENCE, ...extra])
    if (token === '') {
      const added = await runCli(['admin', 'users', 'add', 'alice', '--json', '--admin-addr', node.admin, '--data-dir', dir.path])
      token = (JSON.parse(added.stdout) as { token: string }).token
    }
    const alice = agentClient(node.grpc, token)
    try {
      await alice.call('Configure', { temperature: 0, maxTokens })
      const stream = alice.ask(`say ${maxTokens} things`)
      const answer = collectAnswer(stream, 90_000)
      await firstToken(stream)
      const running = node
      const exit = running.stop('SIGTERM', 30_000)
      const { events, error } = await answer
      const exited = await exit
      node = undefined
      return { events, ...(error !== undefined && { error }), exit: exited, logs: running.logs }
    } finally {
      alice.close()
    }
  }

  async function history (): Promise<Turn[]> {
    node = await startNodeProcess(dir.path, INFERENCE)
    const alice = agentClient(node.grpc, token)
    try {
      return (await alice.call<{ turns: Turn[] }>('History', {})).turns
    } finally {
      alice.close()
      await node.stop()
      node = undefined
    }
  }

  it('should let the answer finish, send it whole with done, journal it, and exit 0 without waiting out the timeout', async () => {
    const { events, error, exit, logs } = await askThenStop(600, [])
    expect(error?.details).to.equal(undefined)
    const done = events.at(-1)?.done
    expect(done).to.include({ stopReason: 'max-tokens', completionTokens: 600 })
    expect(exit.code).to.equal(0)
    expect(logs.map((l) => String(l.msg)).filter((m) => /did not finish|interrupted/.test(m))).to.deep.equal([])
    const turns = await history()
    expect(turns.map((t) => [t.role, t.content, t.stopReason])).to.deep.equal([
      ['user', 'say 600 things', ''],
      ['assistant', textOf(events), 'max-tokens']
    ])
  })

  it('should end an answer still running at the shutdown timeout with its partial text journaled and the caller told it was interrupted', async () => {
    const { events, error, exit } = await askThenStop(1800, ['--shutdown-timeout', '0'])
    expect(error?.details).to.equal(undefined)
    const done = events.at(-1)?.done
    expect(done?.stopReason).to.equal('interrupted')
    expect(done?.completionTokens).to.be.lessThan(1800)
    expect(exit.code).to.equal(0)
    const turns = await history()
    const last = turns.slice(-2)
    expect(last.map((t) => [t.role, t.content, t.stopReason])).to.deep.equal([
      ['user', 'say 1800 things', ''],
      ['assistant', textOf(events), 'interrupted']
    ])
  })
})
