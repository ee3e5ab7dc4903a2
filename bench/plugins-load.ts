/**
 * Load for the plugins bench: an open loop that starts operations at a fixed rate whatever the
 * answers' speed (as users and agents do), each outcome kept with its time and latency, so that a
 * phase (before, during an upgrade, an episode) can be read apart; and chat posts through gRPC
 * whose acks are checked against the rooms' histories afterwards.
 */
import type { NodeSlot, ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { chatClient } from '../test/helpers/node-process.ts'

type Client = ReturnType<typeof chatClient>

export interface Outcome {
  /** When it started (performance.now()). */
  readonly at: number
  readonly ms: number
  /** Why it failed; undefined when it succeeded. */
  readonly error?: string
}

/** Started operations a loop lets wait for their answers at most: past it a tick starts none (and
 * counts them skipped) rather than pile up work on a machine that cannot keep up. */
const MAX_IN_FLIGHT = 256

export class OpenLoop {
  readonly outcomes: Outcome[] = []
  skipped = 0
  readonly #rate: number
  readonly #op: (i: number) => Promise<void>
  #timer: ReturnType<typeof setInterval> | undefined
  #started = 0
  #inFlight = new Set<Promise<void>>()

  /** `op(i)` throws to fail; `rate` per second. */
  constructor (rate: number, op: (i: number) => Promise<void>) {
    this.#rate = rate
    this.#op = op
  }

  start (): void {
    const origin = performance.now()
    // every 5 ms, as many as the rate says should have started by now
    this.#timer = setInterval(() => {
      const due = Math.floor(((performance.now() - origin) / 1000) * this.#rate)
      while (this.#started < due) {
        const i = this.#started++
        if (this.#inFlight.size >= MAX_IN_FLIGHT) { this.skipped++; continue }
        this.#run(i)
      }
    }, 5)
  }

  #run (i: number): void {
    const at = performance.now()
    const p = this.#op(i).then(() => { this.outcomes.push({ at, ms: performance.now() - at }) }, (err: unknown) => {
      this.outcomes.push({ at, ms: performance.now() - at, error: err instanceof Error ? err.message : String(err) })
    }).finally(() => { this.#inFlight.delete(p) })
    this.#inFlight.add(p)
  }

  /** Starts no more, and waits for those in flight. */
  async stop (): Promise<void> {
    clearInterval(this.#timer)
    await Promise.all([...this.#inFlight])
  }

  /** The outcomes started in [from, to). */
  between (from: number, to: number): Outcome[] {
    return this.outcomes.filter((o) => o.at >= from && o.at < to)
  }
}

/** A post acknowledged: where it is, what it said. */
export interface Acked { readonly room: string, readonly seq: number, readonly text: string }

/**
 * Posts to `rooms` at `rate` per second, in turn through `posters` (each a user's client on some
 * member); every ack kept, to be found in the history afterwards.
 */
export class ChatLoad {
  readonly acked: Acked[] = []
  readonly loop: OpenLoop

  constructor (posters: readonly Client[], rooms: readonly string[], rate: number, label: string) {
    this.loop = new OpenLoop(rate, async (i) => {
      const room = rooms[i % rooms.length] as string
      const text = `${label} ${i}`
      const ack = await (posters[i % posters.length] as Client).call<{ seq: number | string }>('Post', { room, text })
      this.acked.push({ room, seq: Number(ack.seq), text })
    })
  }
}

/** The acked posts that are not in their room's history as acked (seq and text), read through
 * `via` with `token`. */
export async function lostPosts (cluster: ProcessCluster, via: NodeSlot, token: string, acked: readonly Acked[]): Promise<Acked[]> {
  const lost: Acked[] = []
  for (const room of new Set(acked.map((a) => a.room))) {
    const history = new Map((await cluster.history(via, room, token)).map((m) => [m.seq, m.text]))
    for (const a of acked) if (a.room === room && history.get(a.seq) !== a.text) lost.push(a)
  }
  return lost
}

export type { Client }
