import { expect } from 'chai'
import { ActorSystem, entityTypeKey } from '../../actors/index.ts'
import type { DeliveryResult, EntityType, HandOff, Journal, Remoting, RemotingPort, ReplyTo } from '../../actors/index.ts'
import { LevelStore, TakeAbandonedError, openLocalJournal } from '../../node/index.ts'
import type { ReplicatedJournal } from '../../node/index.ts'
import { tempDir } from './temp-dir.ts'

// Two actor systems in one process, on one journal, joined by a few lines of Remoting: the
// kernel's side of a live move (release on the old owner, adopt on the new one), claims and
// forwards, without a mesh. The mesh's side is tested on real nodes (test/integration/migration.spec.ts).

export type CounterMsg =
  | { type: 'add', who: string, n: number, replyTo: ReplyTo<number> }
  | { type: 'get', replyTo: ReplyTo<{ log: string[], seq: number, watchers: string[] }> }
  | { type: 'watch', who: string }
  | { type: 'work', stuck?: boolean, replyTo: ReplyTo<string> }
  | { type: 'work-ended', how: string }
type CounterEvent = { type: 'added', who: string, n: number }
interface CounterState { readonly log: readonly string[] }
interface CounterVolatile { watchers: Set<string>, working: { asker: ReplyTo<string>, end: (how: string) => void } | undefined, stuck: boolean }

export const COUNTER = entityTypeKey<CounterMsg>('counter')
/** The end of each counter's work in progress, for the test to call. */
export const finishers = new Map<string, () => void>()

/** A counter whose adds are pipelined, with volatile watchers that move with it and work that
 * outlives a message (busy; `stuck` ignores the interrupt). */
export function counterType (): EntityType<CounterMsg, CounterState, CounterEvent, CounterVolatile> {
  return {
    type: 'counter',
    role: 'chat',
    initialState: () => ({ log: [] }),
    applyEvent: (state, event) => ({ log: [...state.log, `${event.who}:${event.n}`] }),
    createVolatile: () => ({ watchers: new Set(), working: undefined, stuck: false }),
    exportVolatile: (v) => ({ watchers: [...v.watchers] }),
    importVolatile (_key, data) {
      const watchers = (data as { watchers?: unknown }).watchers
      if (!Array.isArray(watchers) || !watchers.every((w) => typeof w === 'string')) throw new Error('watchers must be strings')
      return { watchers: new Set(watchers), working: undefined, stuck: false }
    },
    busy: (ctx) => ctx.volatile.working !== undefined,
    interrupt (ctx) { if (!ctx.volatile.stuck) ctx.volatile.working?.end('interrupted') },
    receive (ctx, msg) {
      switch (msg.type) {
        case 'add': {
          // pipelined: acknowledged once durable, the next message handled meanwhile
          const seq = ctx.seq + 1
          void ctx.persist({ type: 'added', who: msg.who, n: msg.n }).then(() => { ctx.reply(msg.replyTo, seq) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return
        }
        case 'get':
          ctx.reply(msg.replyTo, { log: [...ctx.state.log], seq: ctx.seq, watchers: [...ctx.volatile.watchers] })
          return
        case 'watch':
          ctx.volatile.watchers.add(msg.who)
          return
        case 'work': {
          const self = ctx.self
          ctx.volatile.stuck = msg.stuck === true
          ctx.volatile.working = { asker: msg.replyTo, end: (how) => { self.tell({ type: 'work-ended', how }) } }
          finishers.set(ctx.key, () => { self.tell({ type: 'work-ended', how: 'finished' }) })
          return
        }
        case 'work-ended': {
          const working = ctx.volatile.working
          ctx.volatile.working = undefined
          if (working !== undefined) ctx.reply(working.asker, msg.how)
        }
      }
    }
  }
}

/** One node of the pair: its system, its port, and who it thinks owns every counter. */
export interface PairNode {
  system: ActorSystem
  port: RemotingPort
  owner: string
  claim: ((type: string, key: string) => Promise<void> | undefined) | undefined
  /** Whether this node's view is whole (Remoting.mayActivate). */
  whole: boolean
}

export interface EntityPair {
  readonly a: PairNode
  readonly b: PairNode
  /** The real journal both share. */
  readonly journal: ReplicatedJournal
  /** Entities whose journal a node cannot take yet (as while another owner's lease holds it): its
   * open calls the function given, then waits until the activation lets go (the signal, as
   * Journal.open's contract says). */
  readonly held: Map<string, () => void>
  /** `node|type/key`: that node's hold of the entity's journal says another activation took it (its
   * lease not current, a confirm refused as superseded), as a replicated journal's does once a
   * newer owner fenced it: the activation there has not written since, so it has not noticed. */
  readonly takenOver: Set<string>
}

/** Nodes `a` and `b` (both think `a` owns every counter), set up before each test; `register`
 * registers more entity types on each node's system. */
export function useEntityPair (register?: (system: ActorSystem) => void): EntityPair {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  const held = new Map<string, () => void>()
  const takenOver = new Set<string>()
  const nodes = new Map<string, PairNode>()
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    journal = await openLocalJournal(store)
    held.clear()
    takenOver.clear()
    nodes.clear()
    for (const name of ['a', 'b']) {
      const gated: Journal = {
        open: async (id, handedOver, signal) => {
          const opening = held.get(id)
          if (opening !== undefined) {
            opening()
            await new Promise<void>((_resolve, reject) => {
              signal?.addEventListener('abort', () => { reject(new TakeAbandonedError(id)) }, { once: true })
            })
          }
          const opened = await journal.open(id, handedOver, signal)
          const gone = (): boolean => takenOver.has(`${name}|${id}`)
          return new Proxy(opened, {
            get: (target, prop) => {
              if (prop === 'current') return () => !gone()
              if (prop === 'confirm') return async () => { if (gone()) throw Object.assign(new Error(`${id}: another activation took it`), { superseded: true }); return target.head }
              const value = Reflect.get(target, prop, target) as unknown
              return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
            }
          })
        }
      }
      const system = new ActorSystem({ node: name, journal: gated, strictSerialization: true })
      system.registerEntity(counterType())
      register?.(system)
      const node = { system, owner: 'a', claim: undefined, whole: true } as unknown as PairNode
      const remoting: Remoting = {
        ownerOf: () => node.owner,
        toEntity: (to, type, key, msg): DeliveryResult => nodes.get(to)?.port.deliverToEntity(type, key, msg) ?? 'stopped',
        toActor: () => 'stopped',
        reply: (to, outcome) => { nodes.get(to.node)?.port.settle(to.askId, outcome) },
        claim: (type, key) => node.claim?.(type, key),
        mayActivate: () => node.whole
      }
      node.port = system.attachRemoting(remoting)
      nodes.set(name, node)
    }
  })
  afterEach(async () => {
    for (const node of nodes.values()) await node.system.terminate()
    await store.close()
    await dir.remove()
  })
  return {
    get a () { return nodes.get('a') as PairNode },
    get b () { return nodes.get('b') as PairNode },
    get journal () { return journal },
    held,
    takenOver
  }
}

export const add = (node: PairNode, key: string, who: string, n: number): Promise<number> =>
  node.system.entity(COUNTER, key).ask<number>((replyTo) => ({ type: 'add', who, n, replyTo }))
export const get = (node: PairNode, key: string): Promise<{ log: string[], seq: number, watchers: string[] }> =>
  node.system.entity(COUNTER, key).ask((replyTo) => ({ type: 'get', replyTo }))

/** Moves `key` from a to b as the mesh does: release, adopt, finish; then both views name b. */
export async function move (pair: EntityPair, key: string): Promise<HandOff> {
  const { a, b } = pair
  const released = await a.port.release('counter', key, { busyMs: 5_000, graceMs: 1_000 })
  if (released.outcome !== 'released') throw new Error(`not released: ${released.outcome}`)
  expect(await b.port.adopt('counter', key, released.handOff)).to.equal('ok')
  a.port.finishRelease('counter', key, 'b')
  // the views change (as a view change after a rebalance, or a pin heard after an admin's move)
  a.owner = 'b'
  b.owner = 'b'
  a.port.viewChanged()
  b.port.viewChanged()
  return released.handOff
}
