import * as grpc from '@grpc/grpc-js'
import { chatClient } from './node-process.ts'
import type { NodeSlot } from './process-cluster.ts'

/** What one room's subscriber got: every message's seq in the order it came, and every error
 * that ended its stream. */
export interface Watch {
  readonly room: string
  readonly seqs: number[]
  readonly errors: string[]
}

type Stream = ReturnType<ReturnType<typeof chatClient>['subscribe']>

/**
 * A client subscribed to each of `rooms` through one node, from the first message on. It can be
 * moved to another node as a client of a load balancer is (its streams cancelled, and opened
 * again there after the last seq it got), which is not an error; anything that ends a stream
 * otherwise is kept in its watch's errors.
 */
export class RoomWatch {
  readonly watches: Watch[]
  readonly #token: string
  readonly #streams = new Map<string, Stream>()
  #slot: NodeSlot
  #client: ReturnType<typeof chatClient>

  constructor (slot: NodeSlot, rooms: readonly string[], token: string) {
    this.#token = token
    this.#slot = slot
    this.#client = chatClient(slot.node.grpc, token)
    this.watches = rooms.map((room) => ({ room, seqs: [], errors: [] }))
    for (const w of this.watches) this.#subscribe(w)
  }

  /** The node it is subscribed through. */
  get slot (): NodeSlot { return this.#slot }

  /** Subscribes through `slot` instead, each room after the last seq it got. */
  moveTo (slot: NodeSlot): void {
    this.#cancel()
    this.#slot = slot
    this.#client = chatClient(slot.node.grpc, this.#token)
    for (const w of this.watches) this.#subscribe(w)
  }

  close (): void {
    this.#cancel()
  }

  #subscribe (w: Watch): void {
    const stream = this.#client.subscribe(w.room, w.seqs.at(-1) ?? 0)
    this.#streams.set(w.room, stream)
    // only the stream open now counts (one cancelled may still deliver what it had)
    stream.on('data', (event) => { if (this.#streams.get(w.room) === stream && event.message != null) w.seqs.push(Number(event.message.seq)) })
    stream.on('error', (err: grpc.ServiceError) => { if (this.#streams.get(w.room) === stream || err.code !== grpc.status.CANCELLED) w.errors.push(`${err.code}: ${err.message}`) })
    // a stream the server ends without an error is cut all the same
    stream.on('end', () => { if (this.#streams.get(w.room) === stream) w.errors.push('the stream ended') })
  }

  #cancel (): void {
    const client = this.#client
    const streams = [...this.#streams.values()]
    this.#streams.clear()
    for (const stream of streams) stream.cancel()
    client.close()
  }
}
