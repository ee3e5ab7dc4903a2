/**
 * Reads under partitions, checked as a client sees them (issue 35: "a History that starts after a
 * post's ack includes that post"). One reader per node reads the rooms in turn through it, all
 * the time; just before each read it notes every post acknowledged so far in that room, and the
 * answer must hold each of them at its seq. A read that lacks one is stale. Every (seq, text) a
 * read showed is kept too: one the final histories do not hold is a dirty read (a write never
 * acknowledged, or lost, was shown). A read that fails is no stale read (the client was told); one
 * that got no answer within the client's deadline is unanswered.
 */
import type { Post } from '../../helpers/chat-load.ts'
import { chatClient } from '../../helpers/node-process.ts'
import type { NodeSlot } from '../../helpers/process-cluster.ts'
import { unanswered } from './call-outcome.ts'

/** A read that failed: its phase at the start, when it started and ended (Date.now()), why. */
export interface FailedRead {
  readonly phase: string
  readonly at: readonly [number, number]
  readonly code?: number
  readonly message: string
}

/** A read that lacked a post acknowledged before it started. */
export interface StaleRead {
  readonly room: string
  /** the node it went through (its index in the cluster, 1-based, and peer id) */
  readonly via: string
  /** the scenario's phase when it started (`cut 1`, `healed 1`, ...) and ms into that phase */
  readonly phase: string
  readonly atMs: number
  /** the acknowledged seqs it lacked (or held with another text), the first few */
  readonly missing: readonly number[]
  /** the highest seq it held */
  readonly lastSeq: number
}

export interface ReadCheckOptions {
  readonly readers: readonly NodeSlot[]
  /** a user's token to read with */
  readonly token: string
  /** the rooms to read now (rooms made later are read from then on) */
  readonly rooms: () => readonly string[]
  /** every post tried so far (acknowledged ones carry their seq) */
  readonly posts: () => readonly Post[]
  /** the scenario's phase now, and when it began (performance.now()) */
  readonly phase: () => { readonly name: string, readonly since: number }
  /** a reader starts a read at most this often (ms) */
  readonly everyMs: number
}

/** Messages one History page holds at most (the API's limit). */
const PAGE = 1000
/** Stale reads kept in full; the rest are counted. */
const MAX_KEPT = 50
/** Failed reads kept with their times and messages; the rest are counted. */
const MAX_FAILED_KEPT = 5000

export class ReadCheck {
  reads = 0
  failed = 0
  unanswered = 0
  staleCount = 0
  readonly stale: StaleRead[] = []
  /** failed reads by gRPC code and phase (`14 cut 1`) */
  readonly failures = new Map<string, number>()
  /** every failed read, when and why (the first MAX_FAILED_KEPT) */
  readonly failedReads: FailedRead[] = []
  /** stale reads by phase and node (`healed 1 through node 2`) */
  readonly staleBy = new Map<string, number>()
  /** every (seq → texts) some read showed, per room, with the first read that showed each */
  readonly #seen = new Map<string, Map<number, Map<string, string>>>()
  readonly #opts: ReadCheckOptions
  readonly #running: Promise<void>
  #stopped = false

  constructor (opts: ReadCheckOptions) {
    this.#opts = opts
    this.#running = Promise.all(opts.readers.map(async (slot, i) => { await this.#read(slot, i) })).then(() => undefined)
  }

  async stop (): Promise<void> {
    this.#stopped = true
    await this.#running
  }

  /** (room, seq, text) some read showed that `finalHistory` of its room does not hold, each
   * with the read that showed it first. */
  dirty (finalHistory: (room: string) => ReadonlyMap<number, string> | undefined): string[] {
    const out: string[] = []
    for (const [room, seqs] of this.#seen) {
      const final = finalHistory(room)
      if (final === undefined) continue
      for (const [seq, texts] of seqs) {
        for (const [text, first] of texts) if (final.get(seq) !== text) out.push(`${room} seq ${seq} "${text}" (shown by a read ${first}; the final history has ${JSON.stringify(final.get(seq) ?? null)})`)
      }
    }
    return out
  }

  async #read (slot: NodeSlot, index: number): Promise<void> {
    const client = chatClient(slot.node.grpc, this.#opts.token)
    const via = `node ${index + 1} (${slot.peerId.slice(-6)})`
    try {
      for (let turn = 0; !this.#stopped; turn++) {
        const t0 = performance.now()
        const wall0 = Date.now()
        const rooms = this.#opts.rooms()
        const room = rooms[(turn + index) % rooms.length] as string
        // acknowledged before the read starts: the read must hold them
        const due = this.#opts.posts().filter((p) => p.room === room && p.seq !== undefined).map((p) => ({ seq: p.seq as number, text: p.text }))
        const phase = this.#opts.phase()
        const started = { name: phase.name, atMs: Math.round(t0 - phase.since) }
        try {
          const got = new Map<number, string>()
          for (let after = 0; ;) {
            const page = await client.call<{ messages?: Array<{ seq: number | string, text: string }> }>('History', { room, after, limit: PAGE })
            for (const m of page.messages ?? []) got.set(Number(m.seq), m.text)
            if ((page.messages ?? []).length < PAGE) break
            after = Math.max(...got.keys())
          }
          this.reads++
          this.#note(room, got, `through ${via} in ${started.name} at +${started.atMs} ms`)
          const missing = due.filter((p) => got.get(p.seq) !== p.text).map((p) => p.seq)
          if (missing.length > 0) {
            this.staleCount++
            const key = `${started.name} through node ${index + 1}`
            this.staleBy.set(key, (this.staleBy.get(key) ?? 0) + 1)
            if (this.stale.length < MAX_KEPT) this.stale.push({ room, via, phase: started.name, atMs: started.atMs, missing: missing.slice(0, 8), lastSeq: Math.max(0, ...got.keys()) })
          }
        } catch (err) {
          this.failed++
          if (unanswered(err)) this.unanswered++
          const code = (err as { code?: number }).code
          const key = `${code ?? '?'} ${started.name}`
          this.failures.set(key, (this.failures.get(key) ?? 0) + 1)
          if (this.failedReads.length < MAX_FAILED_KEPT) this.failedReads.push({ phase: started.name, at: [wall0, Date.now()], ...(code !== undefined && { code }), message: `${room} through ${via}: ${(err as Error).message ?? String(err)}` })
        }
        const wait = t0 + this.#opts.everyMs - performance.now()
        if (wait > 0 && !this.#stopped) await new Promise((resolve) => setTimeout(resolve, wait))
      }
    } finally {
      client.close()
    }
  }

  #note (room: string, got: ReadonlyMap<number, string>, how: string): void {
    let seqs = this.#seen.get(room)
    if (seqs === undefined) this.#seen.set(room, seqs = new Map())
    for (const [seq, text] of got) {
      let texts = seqs.get(seq)
      if (texts === undefined) seqs.set(seq, texts = new Map())
      if (!texts.has(text)) texts.set(text, how)
    }
  }
}
