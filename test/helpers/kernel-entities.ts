import { ClassicLevel } from 'classic-level'
import { ActorSystem, entityTypeKey } from '../../actors/index.ts'
import type { ActorSystemOptions, EntityType, Journal, ReplyTo } from '../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../node/index.ts'
import type { ReplicatedJournal } from '../../node/index.ts'
import { tempDir } from './temp-dir.ts'

/**
 * Entity types and a node fixture for the kernel's entity specs (test/actors/kernel): an actor
 * system on a real LevelDB journal in a temp dir, with the test types below.
 */

export class InsufficientFundsError extends Error {
  override readonly name = 'InsufficientFundsError'
}

export type AccountMsg =
  | { type: 'deposit', amount: number, replyTo: ReplyTo<number> }
  | { type: 'withdraw', amount: number, replyTo: ReplyTo<number> }
  | { type: 'balance', replyTo: ReplyTo<{ balance: number, seq: number }> }
  | { type: 'crash-after-deposit', amount: number }
  | { type: 'sleep' }
export type AccountEvent = { type: 'deposited', amount: number } | { type: 'withdrew', amount: number }
export interface AccountState { readonly balance: number, readonly movements: number }

/** An account: deposits and withdrawals are events; `sleep` passivates it. */
export function accountType (options: Partial<EntityType<AccountMsg, AccountState, AccountEvent>> = {}): EntityType<AccountMsg, AccountState, AccountEvent> {
  return {
    type: 'account',
    role: 'storage',
    initialState: () => ({ balance: 0, movements: 0 }),
    applyEvent (state, event) {
      switch (event.type) {
        case 'deposited': return { balance: state.balance + event.amount, movements: state.movements + 1 }
        case 'withdrew': return { balance: state.balance - event.amount, movements: state.movements + 1 }
      }
    },
    async receive (ctx, msg) {
      switch (msg.type) {
        case 'deposit':
          await ctx.persist({ type: 'deposited', amount: msg.amount })
          ctx.reply(msg.replyTo, ctx.state.balance)
          return
        case 'withdraw':
          if (msg.amount > ctx.state.balance) {
            ctx.fail(msg.replyTo, new InsufficientFundsError(`balance ${ctx.state.balance} < ${msg.amount}`))
            return
          }
          await ctx.persist({ type: 'withdrew', amount: msg.amount })
          ctx.reply(msg.replyTo, ctx.state.balance)
          return
        case 'balance':
          ctx.reply(msg.replyTo, { balance: ctx.state.balance, seq: ctx.seq })
          return
        case 'crash-after-deposit':
          await ctx.persist({ type: 'deposited', amount: msg.amount })
          throw new Error('crashed after persisting')
        case 'sleep':
          ctx.passivate()
      }
    },
    ...options
  }
}

/** Appends items; persists without awaiting (pipelined) and acknowledges when durable. */
export type ListMsg =
  | { type: 'add', items: string[], replyTo: ReplyTo<number> }
  | { type: 'get', replyTo: ReplyTo<ListState> }
  | { type: 'history', from: number, replyTo: ReplyTo<Array<{ seq: number, event: ListEvent }>> }
export type ListEvent = { type: 'added', item: string }
export interface ListState { readonly items: readonly string[] }

export function listType (snapshotEvery: number | ((state: ListState) => number)): EntityType<ListMsg, ListState, ListEvent> {
  return {
    type: 'list',
    role: 'chat',
    snapshotEvery,
    initialState: () => ({ items: [] }),
    applyEvent: (state, event) => ({ items: [...state.items, event.item] }),
    receive (ctx, msg) {
      switch (msg.type) {
        case 'add': {
          const seq = ctx.seq + msg.items.length
          void ctx.persist(msg.items.map((item) => ({ type: 'added' as const, item })))
            .then(() => { ctx.reply(msg.replyTo, seq) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return
        }
        case 'get':
          ctx.reply(msg.replyTo, ctx.state)
          return
        case 'history':
          return ctx.events(msg.from, 1000).then((records) => { ctx.reply(msg.replyTo, records) })
      }
    }
  }
}

/** Work that outlives the message that started it: `start` begins a job that ends when the test
 * says (`finish`), and its end comes back to the entity as a message to itself. Busy meanwhile. */
export type JobMsg =
  | { type: 'start', replyTo: ReplyTo<string> }
  | { type: 'job-ended', how: 'finished' | 'interrupted' }
  | { type: 'events', replyTo: ReplyTo<string[]> }
type JobEvent = { type: 'job-ended', how: 'finished' | 'interrupted' }
interface JobVolatile { running: { finish: () => void, stop: () => void, asker: ReplyTo<string> } | undefined }

export function jobType (): EntityType<JobMsg, { ended: string[] }, JobEvent, JobVolatile> & { finish: (key: string) => void } {
  const finishers = new Map<string, () => void>()
  return {
    type: 'job',
    role: 'ai',
    initialState: () => ({ ended: [] }),
    applyEvent: (state, event) => ({ ended: [...state.ended, event.how] }),
    createVolatile: () => ({ running: undefined }),
    busy: (ctx) => ctx.volatile.running !== undefined,
    interrupt (ctx) { ctx.volatile.running?.stop() },
    async receive (ctx, msg) {
      switch (msg.type) {
        case 'start': {
          const self = ctx.self
          let end!: (how: 'finished' | 'interrupted') => void
          new Promise<'finished' | 'interrupted'>((resolve) => { end = resolve }).then((how) => { self.tell({ type: 'job-ended', how }) }, () => undefined)
          ctx.volatile.running = { finish: () => { end('finished') }, stop: () => { end('interrupted') }, asker: msg.replyTo }
          finishers.set(ctx.key, () => { end('finished') })
          return
        }
        case 'job-ended': {
          const running = ctx.volatile.running
          if (running === undefined) return
          ctx.volatile.running = undefined
          await ctx.persist({ type: 'job-ended', how: msg.how })
          ctx.reply(running.asker, msg.how)
          return
        }
        case 'events':
          ctx.reply(msg.replyTo, ctx.state.ended)
      }
    },
    finish: (key) => { finishers.get(key)?.() }
  }
}

export const ACCOUNT = entityTypeKey<AccountMsg>('account')
export const LIST = entityTypeKey<ListMsg>('list')

export const deposit = (system: ActorSystem, key: string, amount: number): Promise<number> =>
  system.entity(ACCOUNT, key).ask<number>((replyTo) => ({ type: 'deposit', amount, replyTo }))
export const balance = (system: ActorSystem, key: string): Promise<{ balance: number, seq: number }> =>
  system.entity(ACCOUNT, key).ask<{ balance: number, seq: number }>((replyTo) => ({ type: 'balance', replyTo }))

type AnyEntityType = EntityType<any, any, any, any>

/** One node's actor system on a real LevelDB journal (node/'s local journal) in a temp dir. */
export interface EntityNode {
  readonly system: ActorSystem
  /** The real journal of the last `open` (under any wrapper). */
  readonly journal: ReplicatedJournal
  readonly store: LevelStore
  readonly dir: string
  /**
   * Starts an actor system with `types` (default: the account) on the store (opened if it is not),
   * terminating the one before. `wrap`: the journal the system gets, around the real one.
   */
  open (types?: AnyEntityType[], options?: { wrap?: (real: ReplicatedJournal) => Journal } & ActorSystemOptions): Promise<ActorSystem>
  /** Terminates the system and closes the store. */
  close (): Promise<void>
  /** close(), and a new empty temp dir. */
  fresh (): Promise<void>
}

/** An EntityNode set up before each test (nothing open yet) and removed after it. */
export function useEntityNode (): EntityNode {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore | undefined
  let journal: ReplicatedJournal | undefined
  let system: ActorSystem | undefined
  const close = async (): Promise<void> => {
    await system?.terminate()
    await store?.close()
    system = undefined
    store = undefined
  }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await close()
    await dir.remove()
  })
  return {
    get system () { return defined(system, 'system') },
    get journal () { return defined(journal, 'journal') },
    get store () { return defined(store, 'store') },
    get dir () { return dir.path },
    async open (types = [accountType()], options = {}) {
      await system?.terminate()
      store ??= await LevelStore.open(dir.path)
      const real = journal = await openLocalJournal(store)
      const { wrap, ...systemOptions } = options
      system = new ActorSystem({ strictSerialization: true, ...systemOptions, journal: wrap === undefined ? real : wrap(real) })
      for (const type of types) system.registerEntity(type)
      return system
    },
    close,
    async fresh () {
      await close()
      await dir.remove()
      dir = await tempDir()
    }
  }
}

function defined<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the entity node has no ${what}: open it first`)
  return value
}

/** Flips one byte in the payload of the first value whose key matches, with the store closed. */
export async function flipByte (path: string, match: (key: string) => boolean): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  try {
    for await (const [key, value] of db.iterator()) {
      if (!match(key)) continue
      const copy = Uint8Array.from(value)
      const at = copy.length - 1
      copy[at] = (copy[at] as number) ^ 0x01
      await db.put(key, copy)
      return
    }
    throw new Error('no key matched')
  } finally {
    await db.close()
  }
}

/** The names along an error's cause chain, the error's own first. */
export function causes (err: unknown): string[] {
  const names: string[] = []
  for (let e = err; e instanceof Error; e = e.cause) names.push(e.name)
  return names
}

/** The local journal with its appends held back while `hold` is set, until `release()`;
 * `pending` counts the appends waiting. */
export function gatedJournal (real: Journal): { journal: Journal, hold: boolean, pending: number, release: () => void } {
  let release = (): void => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const gated = {
    hold: false,
    pending: 0,
    release: () => { release() },
    journal: {
      open: async (id: string, handedOver?: unknown) => {
        const j = await real.open(id, handedOver)
        const append = j.append.bind(j)
        j.append = async (records) => {
          if (gated.hold) {
            gated.pending++
            await gate
          }
          await append(records)
        }
        return j
      }
    } satisfies Journal
  }
  return gated
}
