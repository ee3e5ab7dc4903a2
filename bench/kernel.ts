/**
 * The actor kernel against the simplest thing that does the same job, measured in the same run:
 * - messaging: a bare async queue loop (an array and a loop that awaits the handler per message);
 * - entity activation: the raw LevelDB reads an activation must do (snapshot get + journal scan);
 * - journal appends: raw `level` batch puts with the same fsync setting and payload.
 */
import { ClassicLevel } from 'classic-level'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ActorSystem, createPlainCodec } from '../actors/index.ts'
import type { ActorRef, EntityType, ReplyTo } from '../actors/index.ts'
import { LevelStore, openLocalJournal } from '../node/index.ts'
import { STORE_WRITE_BUFFER_BYTES } from '../node/storage/index.ts'
import { collector, figure, interleaved, rate } from './figure.ts'
import type { Bench } from './figure.ts'

const TELLS = 500_000
const ASKS = 100_000
const ASK_WINDOW = 100
const ACTORS = 1_000
const ACTIVATIONS = 2_000
const UNBATCHED_APPENDS = 1_000
const BATCH_ENTITIES = 100
const BATCH_ROUNDS = 50
const ROUNDS = 5
const BATCH_WARMUP = 5
const BATCH_MEASURED = 15

type Msg = { type: 'inc' } | { type: 'ping', replyTo: ReplyTo<number> }

/** The baseline mailbox: no bound, no supervision, no state handling, no yielding. */
class BareQueue<M> {
  readonly #handler: (msg: M) => Promise<void>
  #queue: M[] = []
  #head = 0
  #running = false

  constructor (handler: (msg: M) => Promise<void>) { this.#handler = handler }

  push (msg: M): void {
    this.#queue.push(msg)
    if (!this.#running) {
      this.#running = true
      queueMicrotask(() => { void this.#loop() })
    }
  }

  async #loop (): Promise<void> {
    while (this.#head < this.#queue.length) await this.#handler(this.#queue[this.#head++] as M)
    this.#queue = []
    this.#head = 0
    this.#running = false
  }
}

// ---- tell ---------------------------------------------------------------------------------------

async function tellOurs (actors: number): Promise<number> {
  const system = new ActorSystem({ mailboxCapacity: TELLS })
  let seen = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => { done = resolve })
  const refs: Array<ActorRef<Msg>> = []
  for (let i = 0; i < actors; i++) {
    refs.push(system.spawn<Msg, number>({
      init: () => 0,
      async receive (n) {
        if (++seen === TELLS) done()
        return n + 1
      }
    }))
  }
  await new Promise((resolve) => setImmediate(resolve))
  const start = performance.now()
  for (let i = 0; i < TELLS; i++) (refs[i % actors] as ActorRef<Msg>).tell({ type: 'inc' })
  await finished
  const ms = performance.now() - start
  await system.terminate()
  return rate(TELLS, ms)
}

async function tellBare (actors: number): Promise<number> {
  let seen = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => { done = resolve })
  const queues: Array<BareQueue<Msg>> = []
  for (let i = 0; i < actors; i++) {
    queues.push(new BareQueue<Msg>(async () => {
      if (++seen === TELLS) done()
    }))
  }
  const start = performance.now()
  for (let i = 0; i < TELLS; i++) (queues[i % actors] as BareQueue<Msg>).push({ type: 'inc' })
  await finished
  return rate(TELLS, performance.now() - start)
}

// ---- ask ----------------------------------------------------------------------------------------

async function askOurs (actors: number): Promise<number> {
  const system = new ActorSystem()
  const refs: Array<ActorRef<Msg>> = []
  for (let i = 0; i < actors; i++) {
    refs.push(system.spawn<Msg, number>({
      init: () => 0,
      async receive (n, msg, ctx) {
        if (msg.type === 'ping') ctx.reply(msg.replyTo, n)
        return n + 1
      }
    }))
  }
  await new Promise((resolve) => setImmediate(resolve))
  const window = actors === 1 ? ASK_WINDOW : actors
  const start = performance.now()
  for (let sent = 0; sent < ASKS; sent += window) {
    const batch: Array<Promise<number>> = []
    for (let i = 0; i < window; i++) batch.push((refs[i % actors] as ActorRef<Msg>).ask<number>((replyTo) => ({ type: 'ping', replyTo })))
    await Promise.all(batch)
  }
  const ms = performance.now() - start
  await system.terminate()
  return rate(ASKS, ms)
}

async function askBare (actors: number): Promise<number> {
  const queues: Array<BareQueue<{ resolve: (n: number) => void }>> = []
  for (let i = 0; i < actors; i++) {
    let n = 0
    queues.push(new BareQueue(async (msg) => { msg.resolve(n++) }))
  }
  const window = actors === 1 ? ASK_WINDOW : actors
  const start = performance.now()
  for (let sent = 0; sent < ASKS; sent += window) {
    const batch: Array<Promise<number>> = []
    for (let i = 0; i < window; i++) {
      const queue = queues[i % actors] as BareQueue<{ resolve: (n: number) => void }>
      batch.push(new Promise<number>((resolve) => { queue.push({ resolve }) }))
    }
    await Promise.all(batch)
  }
  return rate(ASKS, performance.now() - start)
}

// ---- storage ------------------------------------------------------------------------------------

type RoomMsg = { type: 'post', text: string, replyTo: ReplyTo<number> } | { type: 'hello', replyTo: ReplyTo<number> }
type RoomEvent = { type: 'message-posted', user: string, text: string, ts: number }

const roomType: EntityType<RoomMsg, { count: number }, RoomEvent> = {
  type: 'room',
  role: 'chat',
  initialState: () => ({ count: 0 }),
  applyEvent: (s) => ({ count: s.count + 1 }),
  async receive (ctx, msg) {
    if (msg.type === 'post') await ctx.persist({ type: 'message-posted', user: 'alice', text: msg.text, ts: Date.now() })
    ctx.reply(msg.replyTo, ctx.state.count)
  }
}

const TEXT = 'a chat message of about eighty bytes, which is what a typical chat line weighs..'
const codec = createPlainCodec()
const eventBytes = (): Uint8Array => codec.encode({ type: 'message-posted', user: 'alice', text: TEXT, ts: Date.now() })

interface Dirs { ours: string, raw: string }
let run = 0

async function activationsOurs (dirs: Dirs): Promise<number> {
  const store = await LevelStore.open(dirs.ours)
  // each activation takes its journal: a fence (one durable write) and a recovery read
  const system = new ActorSystem({ journal: await openLocalJournal(store) })
  system.registerEntity(roomType)
  const prefix = `r${run++}-`
  const start = performance.now()
  await Promise.all(Array.from({ length: ACTIVATIONS }, (_, i) =>
    system.entity(roomType, `${prefix}${i}`).ask<number>((replyTo) => ({ type: 'hello', replyTo }))))
  const ms = performance.now() - start
  await system.terminate()
  await store.close()
  return rate(ACTIVATIONS, ms)
}

async function activationsRaw (db: ClassicLevel<string, Uint8Array>): Promise<number> {
  const prefix = `r${run++}-`
  const start = performance.now()
  await Promise.all(Array.from({ length: ACTIVATIONS }, async (_, i) => {
    const id = `room/${prefix}${i}`
    await db.get(`s\x00${id}`)
    await db.iterator({ gte: `j\x00${id}\x00`, lte: `j\x00${id}\x00~` }).all()
  }))
  return rate(ACTIVATIONS, performance.now() - start)
}

async function appendsUnbatchedOurs (store: LevelStore): Promise<number> {
  const log = await (await openLocalJournal(store)).open(`room/u${run++}`)
  const start = performance.now()
  for (let seq = 1; seq <= UNBATCHED_APPENDS; seq++) {
    await log.append([{ seq, event: { type: 'message-posted', user: 'alice', text: TEXT, ts: Date.now() } }])
  }
  return rate(UNBATCHED_APPENDS, performance.now() - start)
}

async function appendsUnbatchedRaw (db: ClassicLevel<string, Uint8Array>): Promise<number> {
  const entity = `room/u${run++}`
  const start = performance.now()
  for (let seq = 1; seq <= UNBATCHED_APPENDS; seq++) {
    await db.batch([{ type: 'put', key: `j\x00${entity}\x00${seq.toString(16).padStart(16, '0')}`, value: eventBytes() }], { sync: true })
  }
  return rate(UNBATCHED_APPENDS, performance.now() - start)
}

/** Many entities appending at once, each awaiting its own append: group commit shares fsyncs. */
async function appendsBatchedOurs (store: LevelStore): Promise<number> {
  const prefix = `room/b${run++}-`
  const journal = await openLocalJournal(store)
  const logs = await Promise.all(Array.from({ length: BATCH_ENTITIES }, (_, e) => journal.open(`${prefix}${e}`)))
  const start = performance.now()
  await Promise.all(logs.map(async (log) => {
    for (let seq = 1; seq <= BATCH_ROUNDS; seq++) {
      await log.append([{ seq, event: { type: 'message-posted', user: 'alice', text: TEXT, ts: Date.now() } }])
    }
  }))
  return rate(BATCH_ENTITIES * BATCH_ROUNDS, performance.now() - start)
}

/** The ideal: the caller itself gathers one put per entity into one batch. */
async function appendsBatchedRaw (db: ClassicLevel<string, Uint8Array>): Promise<number> {
  const prefix = `room/b${run++}-`
  const start = performance.now()
  for (let seq = 1; seq <= BATCH_ROUNDS; seq++) {
    await db.batch(Array.from({ length: BATCH_ENTITIES }, (_, e) => ({
      type: 'put' as const, key: `j\x00${prefix}${e}\x00${seq.toString(16).padStart(16, '0')}`, value: eventBytes()
    })), { sync: true })
  }
  return rate(BATCH_ENTITIES * BATCH_ROUNDS, performance.now() - start)
}

export const kernelBench: Bench = {
  name: 'kernel',
  description: 'local tell/ask, entity activations and journal appends vs bare loops and raw level',
  async run (log) {
    const { figures, add } = collector(log)
    for (const actors of [1, ACTORS]) {
      const tell = await interleaved(ROUNDS, () => tellOurs(actors), () => tellBare(actors))
      add(figure(`tell-${actors}-actor${actors > 1 ? 's' : ''}`, 'msg/s', tell.ours, 'bare async queue loop', tell.baseline, '>= 0.5'))
      const ask = await interleaved(ROUNDS, () => askOurs(actors), () => askBare(actors))
      add(figure(`ask-${actors}-actor${actors > 1 ? 's' : ''}`, 'ask/s', ask.ours, 'bare loop + promise', ask.baseline))
    }
    const root = await mkdtemp(join(tmpdir(), 'plexi-bench-'))
    try {
      const dirs = { ours: join(root, 'ours'), raw: join(root, 'raw') }
      // (with the store's LevelDB options: the baseline is the same database, less what Plexi adds)
      const raw = new ClassicLevel<string, Uint8Array>(dirs.raw, { keyEncoding: 'utf8', valueEncoding: 'view', writeBufferSize: STORE_WRITE_BUFFER_BYTES })
      await raw.open()
      const activations = await interleaved(3, () => activationsOurs(dirs), () => activationsRaw(raw))
      add(figure('entity-activations', 'activations/s', activations.ours, 'raw level get+scan per entity', activations.baseline))
      const store = await LevelStore.open(join(root, 'journal'))
      const unbatched = await interleaved(ROUNDS, () => appendsUnbatchedOurs(store), () => appendsUnbatchedRaw(raw))
      add(figure('journal-append-unbatched', 'events/s', unbatched.ours, 'raw level batch of 1, fsync', unbatched.baseline, '>= 0.5'))
      // (each round is short, 0.1 s: warmed, and more of them, or the JIT's first compiles and the
      // disk's noise decide the median)
      const batched = await interleaved(BATCH_MEASURED, () => appendsBatchedOurs(store), () => appendsBatchedRaw(raw), BATCH_WARMUP)
      add(figure('journal-append-batched', 'events/s', batched.ours, 'raw level batch of 100, fsync', batched.baseline, '>= 0.5'))
      await store.close()
      await raw.close()
    } finally {
      await rm(root, { recursive: true, force: true })
    }
    return figures
  }
}
