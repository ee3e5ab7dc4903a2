import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { Behavior, MessageTrace } from '../../../actors/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** A MessageTrace that names the "trace" active as a string (what node/tracing does with
 * OpenTelemetry's context): it records each handler's run with the trace its message carried. */
function fakeTrace (): MessageTrace & { current: string | undefined, runs: Array<{ actor: string, type: string, trace: string | undefined }> } {
  const tags = new WeakMap<object, string>()
  const fake = {
    current: undefined as string | undefined,
    runs: [] as Array<{ actor: string, type: string, trace: string | undefined }>,
    tag (msg: unknown): void {
      if (fake.current !== undefined && typeof msg === 'object' && msg !== null && !tags.has(msg)) tags.set(msg, fake.current)
    },
    run<T> (msg: unknown, actor: string, fn: () => T): T {
      const before = fake.current
      fake.current = tags.get(msg as object)
      fake.runs.push({ actor, type: (msg as { type: string }).type, trace: fake.current })
      try {
        return fn()
      } finally {
        fake.current = before
      }
    }
  }
  return fake
}

type Msg = { type: 'hello' } | { type: 'tick' } | { type: 'pass', to: string }

describe('MessageTrace (the kernel\'s side of tracing)', () => {
  it('should run each handler in the trace its message was sent in, whatever trace is current then', async () => {
    const trace = fakeTrace()
    const system = new ActorSystem({ trace })
    const ref = system.spawn<Msg, undefined>({ receive: (s) => s }, { name: 'echo' })
    trace.current = 'trace-a'
    ref.tell({ type: 'hello' })
    trace.current = 'trace-b'
    ref.tell({ type: 'hello' })
    trace.current = undefined
    ref.tell({ type: 'hello' })
    await waitFor(() => trace.runs.length === 3, 'three messages handled')
    expect(trace.runs).to.deep.equal([
      { actor: '/echo', type: 'hello', trace: 'trace-a' },
      { actor: '/echo', type: 'hello', trace: 'trace-b' },
      { actor: '/echo', type: 'hello', trace: undefined }
    ])
    await system.terminate()
  })

  it('should carry a trace on through what a handler sends, and leave a timer\'s message in none', async () => {
    const trace = fakeTrace()
    const system = new ActorSystem({ trace })
    const sink = system.spawn<Msg, undefined>({ receive: (s) => s }, { name: 'sink' })
    const relay: Behavior<Msg, undefined> = {
      // a timer set while a traced message was handled (init runs in the spawner's trace)
      init: (ctx) => { ctx.timers.startSingle('t', { type: 'tick' }, 1) },
      receive: (s, msg, ctx) => {
        if (msg.type === 'pass') ctx.actorAt<Msg>({ node: ctx.self.address.node, path: msg.to }).tell({ type: 'hello' })
        return s
      }
    }
    trace.current = 'spawner'
    const ref = system.spawn(relay, { name: 'relay' })
    trace.current = 'post'
    ref.tell({ type: 'pass', to: '/sink' })
    trace.current = undefined
    await waitFor(() => trace.runs.length === 3, 'the pass, the hello and the tick handled')
    expect(trace.runs.find((r) => r.type === 'tick')?.trace, 'the timer\'s message').to.equal(undefined)
    expect(trace.runs.find((r) => r.actor === '/sink')?.trace, 'what the relay sent on').to.equal('post')
    void sink
    await system.terminate()
  })

  it('should run handlers as they are without a trace attached', async () => {
    const system = new ActorSystem()
    let handled = 0
    const ref = system.spawn<Msg, undefined>({ receive: (s) => { handled++; return s } })
    ref.tell({ type: 'hello' })
    await waitFor(() => handled === 1, 'the message handled')
    await system.terminate()
  })
})
