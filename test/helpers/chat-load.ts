import { randomUUID } from 'node:crypto'
import { chatClient } from './node-process.ts'
import type { NodeSlot } from './process-cluster.ts'
import { waitFor } from './wait-for.ts'

/** One post a sender made, with the seq it was acknowledged at (none: never acknowledged). */
export interface Post {
  readonly sender: number
  readonly room: string
  readonly text: string
  readonly clientId?: string
  seq?: number
}

/** A try of a post that failed, as its client saw it. */
export interface PostError {
  readonly post: Post
  /** the gRPC status code */
  readonly code: number | undefined
  readonly message: string
  /** the peer id of the node it was sent through */
  readonly via: string
  /** when it was sent and when it failed (Date.now(): to find it in the nodes' logs) */
  readonly at: readonly [number, number]
}

export interface ChatLoadOptions {
  /** Starts every post's text (`<tag>-s<sender>-<n>`): posts are unique across loads. */
  readonly tag: string
  readonly rooms: readonly string[]
  readonly senders: number
  /** Sender i posts as the user of tokens[i % tokens.length]. */
  readonly tokens: readonly string[]
  /** The node sender i posts through at first. */
  readonly via: (sender: number) => NodeSlot
  /** Tries of one post with a client id; a failed try is kept in `errors` and the next goes
   * through `retryVia(sender, failed)` with the same client id. @default 1 */
  readonly tries?: number
  /** And past `tries`, until this long (ms) after its first try: a retry that waits for the cluster
   * (a failover on a slow machine) rather than a count of tries that a fast failure spends at once.
   * @default 0 */
  readonly retryForMs?: number
  readonly retryVia?: (sender: number, failed: NodeSlot) => NodeSlot
  /** Whether sender i's posts carry a client id (a retry of one is answered with its first ack).
   * A post without one is tried once: a retry could store it twice. @default every sender's */
  readonly clientIds?: (sender: number) => boolean
  /** Each sender starts a post at most this often (ms; 0: as soon as the one before is answered).
   * A paced load lasts: MAX_POSTS per sender. @default 0 */
  readonly everyMs?: number
}

/** Posts one sender makes at most: every loop of a test is bounded. */
const MAX_POSTS = 10_000
/** Pause between two tries of one post. */
const RETRY_MS = 100
/** How long a move off a node, or a pause, may wait for the posts in flight. */
const SETTLE_MS = 30_000

interface Sender {
  readonly index: number
  slot: NodeSlot
  client: ReturnType<typeof chatClient>
  /** The node its post in flight went through (none: no post in flight). */
  inFlight: NodeSlot | undefined
}

/**
 * Chat clients posting on real nodes: each sender posts one message after another, each once the
 * one before was acknowledged (or failed), to the rooms in turn; it goes through one node (`via`),
 * until it is moved (a load balancer taking a node out) or a try fails (`retryVia`). Every post and
 * every failed try are kept, to check against the rooms' histories afterwards.
 */
export class ChatLoad {
  readonly posted: Post[] = []
  readonly errors: PostError[] = []
  readonly #opts: ChatLoadOptions
  readonly #senders: Sender[]
  readonly #running: Promise<void>
  #stopped = false
  /** Senders that posted their MAX_POSTS (a test that waits for more must pace its load). */
  #spent = 0
  #paused: { promise: Promise<void>, resolve: () => void } | undefined

  constructor (opts: ChatLoadOptions) {
    if (opts.rooms.length === 0 || opts.senders < 1 || opts.tokens.length === 0) throw new RangeError('a load needs rooms, senders and tokens')
    this.#opts = opts
    this.#senders = Array.from({ length: opts.senders }, (_, index): Sender => {
      const slot = opts.via(index)
      return { index, slot, client: this.#client(index, slot), inFlight: undefined }
    })
    this.#running = Promise.all(this.#senders.map(async (s) => { await this.#run(s) })).then(() => undefined)
  }

  /** Posts acknowledged so far. */
  acked (): number {
    return this.posted.filter((p) => p.seq !== undefined).length
  }

  /** Waits until `count` posts were acknowledged in all, at most `timeout` ms without one more
   * acknowledged (posts that go on, slower on a starved machine, are waited for). */
  async awaitAcked (count: number, timeout = 60_000): Promise<void> {
    await waitFor(() => this.acked() >= count, () => `${count} posts acknowledged (${this.acked()} so far, ${this.errors.length} failed tries${this.#spent > 0 ? `, ${this.#spent} senders made their ${MAX_POSTS} posts and stopped` : ''})`, { timeout, interval: 20, progress: () => this.acked() })
  }

  /** The node each sender posts through now. */
  vias (): NodeSlot[] {
    return this.#senders.map((s) => s.slot)
  }

  /**
   * Moves every sender that posts through `from` to `to(sender)`: one with a post in flight there
   * once it is answered. Resolves once none has a post in flight through `from`.
   */
  async moveOff (from: NodeSlot, to: (sender: number) => NodeSlot): Promise<void> {
    const moving = this.#senders.filter((s) => s.slot.node === from.node)
    for (const s of moving) {
      const next = to(s.index)
      if (next.node === from.node) throw new Error(`sender ${s.index} must move off ${from.peerId}, not to it`)
      // an idle sender takes its new client now; a busy one takes it before its next try (#run)
      this.#switch(s, next)
    }
    await waitFor(() => moving.every((s) => s.inFlight?.node !== from.node), `the senders to leave ${from.peerId}`, { timeout: SETTLE_MS, interval: 5 })
  }

  /** Stops posting once the posts in flight are answered (resume() goes on). */
  async pause (): Promise<void> {
    if (this.#paused === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => { resolve = r })
      this.#paused = { promise, resolve }
    }
    await waitFor(() => this.#senders.every((s) => s.inFlight === undefined), 'the posts in flight to be answered', { timeout: SETTLE_MS, interval: 5 })
  }

  resume (): void {
    this.#paused?.resolve()
    this.#paused = undefined
  }

  /** Stops every sender, once its post in flight is answered. */
  async stop (): Promise<void> {
    this.#stopped = true
    this.resume()
    await this.#running
  }

  #client (sender: number, slot: NodeSlot): ReturnType<typeof chatClient> {
    return chatClient(slot.node.grpc, this.#opts.tokens[sender % this.#opts.tokens.length] as string)
  }

  /** Sender `s` posts through `slot` from its next try on (a try in flight keeps its client). */
  #switch (s: Sender, slot: NodeSlot): void {
    if (slot.node === s.slot.node) return
    const old = s.client
    s.slot = slot
    s.client = this.#client(s.index, slot)
    // a call in flight on the old client still gets its answer: close it once that is in
    if (s.inFlight === undefined) old.close()
    else void waitFor(() => s.inFlight === undefined, 'the post in flight', { timeout: SETTLE_MS, interval: 5 }).catch(() => undefined).finally(() => { old.close() })
  }

  async #run (s: Sender): Promise<void> {
    const { rooms, tag, retryVia } = this.#opts
    const withIds = this.#opts.clientIds?.(s.index) ?? true
    const tries = withIds ? this.#opts.tries ?? 1 : 1
    const step = coprimeStep(rooms.length)
    try {
      let last = 0
      for (let i = 0; i < MAX_POSTS && !this.#stopped; i++) {
        const wait = last + (this.#opts.everyMs ?? 0) - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        last = performance.now()
        const post: Post = { sender: s.index, room: rooms[(i * step + s.index) % rooms.length] as string, text: `${tag}-s${s.index}-${i}`, ...(withIds && { clientId: randomUUID() }) }
        let pushed = false
        const first = performance.now()
        const retryFor = withIds ? this.#opts.retryForMs ?? 0 : 0
        const more = (attempt: number): boolean => attempt < tries || performance.now() - first < retryFor
        for (let attempt = 0; more(attempt) && post.seq === undefined; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
          while (this.#paused !== undefined && !this.#stopped) await this.#paused.promise
          // a stop gives up a post not yet tried, never one that was (it may have been stored)
          if (this.#stopped && !pushed) return
          if (!pushed) {
            this.posted.push(post)
            pushed = true
          }
          // set in the same turn as the pause check above: pause() sees it
          const via = s.slot
          s.inFlight = via
          const t0 = Date.now()
          try {
            const ack = await s.client.call<{ seq: number | string }>('Post', { room: post.room, text: post.text, ...(post.clientId !== undefined && { clientId: post.clientId }) })
            post.seq = Number(ack.seq)
          } catch (err) {
            const e = err as { code?: number, message?: string }
            this.errors.push({ post, code: e.code, message: e.message ?? String(err), at: [t0, Date.now()], via: via.peerId })
            if (more(attempt + 1) && retryVia !== undefined) this.#switch(s, retryVia(s.index, via))
          } finally {
            s.inFlight = undefined
          }
        }
      }
      if (!this.#stopped) this.#spent++
    } finally {
      s.client.close()
    }
  }
}

/** A step through `n` rooms that visits every one (coprime with n), at least 7 so that a sender's
 * consecutive posts go to rooms apart. */
function coprimeStep (n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
  for (let step = 7; ; step++) if (gcd(step, n) === 1) return step
}
