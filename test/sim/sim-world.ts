/**
 * A deterministic world for the replication protocol: one seed drives a PRNG, a virtual clock and
 * an event queue; nodes have disks that keep only what reached them durably and lose writes in
 * flight when their node crashes; a network drops, delays (and so reorders) and partitions
 * messages. The protocol code (ReplicaCore, EntityLog) runs unchanged on top: only its disk, its
 * network, its clock and its randomness are this world's. One seed replays one run exactly.
 */
import { LeaseBatches, ReplicaCore, checkReplicaBatch, checkReplicaBatchReply, checkReplicaReply, checkReplicaRequest, laterRevision } from '../../node/replication/index.ts'
import { errorData } from '../../protocols/index.ts'
import type { BatchItem, BatchItemOutcome, OwnerEnv, ReplicaChange, ReplicaRequest, ReplicaState, ReplicaStorage, ReplyOf, StoredRecord, StoredSnapshot } from '../../node/replication/index.ts'

/** A copy of plain data, as a message or a disk would give back (JSON: what the sim sends is
 * plain, and JSON copies it faster than structuredClone). */
function clone<T> (x: T): T { return x === undefined ? x : JSON.parse(JSON.stringify(x)) as T }

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Event { readonly at: number, readonly n: number, readonly fn: () => void }

/** Events at one instant beyond which a run is stuck in a loop that never lets time pass. */
const LIVELOCK_EVENTS = 200_000

/** A binary heap of events by time, then by the order they were scheduled. */
export class EventQueue {
  readonly #heap: Event[] = []
  get size (): number { return this.#heap.length }
  push (e: Event): void {
    const h = this.#heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i] as Event, h[p] as Event)) break;
      [h[i], h[p]] = [h[p] as Event, h[i] as Event]
      i = p
    }
  }

  pop (): Event | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l] as Event, h[m] as Event)) m = l
        if (r < h.length && before(h[r] as Event, h[m] as Event)) m = r
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Event, h[i] as Event]
        i = m
      }
    }
    return top
  }
}

/**
 * Runs `queue`'s events in time order until none is left or the next is past `until`: `advance` is
 * told each event's time before it runs (and `until` when the run stops short of the next event),
 * and after each, every promise the event settled runs to its next wait (setImmediate comes after
 * all microtasks) before `afterStep`. What the caller set going runs first. Both simulations'
 * worlds run on it.
 *
 * `settle` is how the run waits for the promises an event settled: `immediate` (a turn of the event
 * loop: whatever the code under test left for later, timers aside, has run) or `ticks` (a
 * process.nextTick, which Node runs once the microtask queue is empty: the same order of effects for
 * code that only chains promises, as the membership code does, at half the cost: no turn of the loop
 * per event). The replication world keeps `immediate`: its seeds replay as they always have.
 */
export async function runEvents (queue: EventQueue, until: number, advance: (at: number) => void, afterStep: () => void, settle: 'immediate' | 'ticks' = 'immediate'): Promise<void> {
  const wait = settle === 'ticks'
    ? async (): Promise<void> => { await new Promise<void>((resolve) => { process.nextTick(resolve) }) }
    : async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
  await new Promise((resolve) => setImmediate(resolve))
  for (;;) {
    const next = queue.pop()
    if (next === undefined) return
    if (next.at > until) {
      queue.push(next)
      advance(until)
      return
    }
    advance(next.at)
    next.fn()
    await wait()
    afterStep()
  }
}

function before (a: Event, b: Event): boolean { return a.at < b.at || (a.at === b.at && a.n < b.n) }

/** What an entity's copy looks like on a disk. */
export interface DiskEntity {
  state: ReplicaState
  records: Map<number, StoredRecord>
  snapshot: StoredSnapshot | undefined
  /** Seqs whose stored copy is damaged (bit rot: its seal fails; a read of it fails). */
  damaged?: Set<number>
}

/** Watches every durable write (the checker's hook), before it is applied: `before` is the disk's
 * copy as it is (not to be kept: the write changes it next). */
export type WriteWatcher = (node: string, entity: string, before: DiskEntity | undefined, change: ReplicaChange, previousHead: number) => void

export interface NetworkFaults {
  /** Probability that one message is lost. */
  drop: number
  /** Probability that a node crashes right after it sent a reply (down for 1-300 ms): finds what
   * a replica answered but did not keep. */
  crashAfterReply: number
  /** Delay of a message: min + an exponential tail with this mean, in ms. */
  minDelayMs: number
  meanDelayMs: number
}

export class SimNode {
  readonly id: string
  up = true
  /** Bumped on every crash: callbacks of an older generation are dropped. */
  generation = 0
  readonly disk = new Map<string, DiskEntity>()
  /** The configuration versions its replica stored, by partition (here: partition 0 alone). */
  readonly diskVersions = new Map<number, number>()
  core: ReplicaCore

  constructor (id: string, world: SimWorld) {
    this.id = id
    this.core = world.replicaOf(this)
  }
}

export class SimWorld {
  readonly random: () => number
  readonly nodes = new Map<string, SimNode>()
  readonly faults: NetworkFaults = { drop: 0, crashAfterReply: 0, minDelayMs: 0.2, meanDelayMs: 2 }
  /** Directions in which messages are lost, silently (no error: the sender waits out its timeout),
   * as "from>to". */
  readonly cut = new Set<string>()
  /** How long replicas' leases hold, on their own clocks (0: no leases). */
  leaseMs = 0
  /** Each node's clock: its rate against the world's time and its offset (1 and 0 unless set). */
  readonly clocks = new Map<string, { rate: number, offset: number }>()
  /** How long a caller waits for a reply. */
  callTimeoutMs = 200
  /** Disk faults (damage) not yet put back, as "node|entity|seq". */
  readonly #faulty = new Set<string>()
  /** Disk faults that a write of the replica's own put back or took away (a recovery sealing a
   * record again, an owner writing a seq again, a trim below it): nothing left for scrub to repair. */
  rewritten = 0
  watchWrite: WriteWatcher = () => {}
  /** Told of each configuration version a replica stored (ReplicaCoreOptions.versionRaised: its
   * node learns it; sim-versions.ts). */
  versionRaised: (node: string, version: number) => void = () => {}
  /** A flaw only to show that the checks catch it: requests reach replicas without their version,
   * so that no replica stores one or refuses any. */
  versionsStripped = false
  /** Requests replicas refused for an older configuration version (ReplicaVersions). */
  versionRefusals = 0
  #now = 0
  #n = 0
  readonly #queue = new EventQueue()
  #sameInstant = 0
  steps = 0

  constructor (seed: number) {
    this.random = prng(seed)
  }

  get now (): number { return this.#now }

  at (delayMs: number, fn: () => void): () => void {
    let cancelled = false
    this.#queue.push({ at: this.#now + Math.max(0, delayMs), n: this.#n++, fn: () => { if (!cancelled) fn() } })
    return () => { cancelled = true }
  }

  addNode (id: string): SimNode {
    const node = new SimNode(id, this)
    this.nodes.set(id, node)
    return node
  }

  node (id: string): SimNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  /** The node stops: writes not yet durable are lost, messages to and from it vanish. */
  crash (id: string): void {
    const n = this.node(id)
    n.up = false
    n.generation++
  }

  /** The node starts again from its disk, with a fresh replica (nothing in memory kept). */
  /** Nodes gone for good (decommissioned after their hand-off): never restarted. */
  readonly gone = new Set<string>()

  restart (id: string): void {
    const n = this.node(id)
    if (n.up || this.gone.has(id)) return
    n.up = true
    n.generation++
    n.core = this.replicaOf(n)
    this.onRestart(n)
  }

  /** A fresh replica on `n` (at its start: the leases it granted before are forgotten). */
  replicaOf (n: SimNode): ReplicaCore {
    const versionRaised = (_partition: number, version: number): void => { this.versionRaised(n.id, version) }
    if (this.leaseMs <= 0) return new ReplicaCore(this.storageOf(n), { versionRaised })
    return new ReplicaCore(this.storageOf(n), { leaseMs: this.leaseMs, clock: () => this.clockOf(n.id), startedAt: this.clockOf(n.id), versionRaised })
  }

  /** What `node`'s monotonic clock reads now (its rate may differ from the world's: drift). */
  clockOf (node: string): number {
    const c = this.clocks.get(node)
    return c === undefined ? this.#now : c.offset + c.rate * this.#now
  }

  /** Called when a node starts again (what a node keeps on disk besides its replicas: a learner
   * stays one). */
  onRestart: (node: SimNode) => void = () => {}

  /** The node stops for good, its disk with it (a decommissioned node, once handed off). */
  decommission (id: string): void {
    this.gone.add(id)
    if (this.node(id).up) this.crash(id)
    this.node(id).disk.clear()
  }

  /** A disk fault on `id`: the stored copy of a record damaged (its seal fails) or lost. */
  damage (id: string, entity: string, seq: number, how: 'flip' | 'lose'): void {
    const e = this.node(id).disk.get(entity)
    if (e === undefined || !e.records.has(seq)) return
    this.#faulty.add(`${id}|${entity}|${seq}`)
    if (how === 'lose') {
      e.records.delete(seq)
      e.damaged?.delete(seq)
    } else {
      e.damaged ??= new Set()
      e.damaged.add(seq)
    }
  }

  /** Messages between the sides are lost silently: both ways, or (oneWay) only from A to B. */
  partition (sideA: readonly string[], sideB: readonly string[], oneWay = false): void {
    for (const a of sideA) {
      for (const b of sideB) {
        if (a === b) continue
        this.cut.add(`${a}>${b}`)
        if (!oneWay) this.cut.add(`${b}>${a}`)
      }
    }
  }

  heal (): void { this.cut.clear() }

  /** Whether a message from `from` reaches `to` (when not dropped). */
  canSend (from: string, to: string): boolean { return from === to || !this.cut.has(`${from}>${to}`) }

  canTalk (a: string, b: string): boolean { return this.canSend(a, b) && this.canSend(b, a) }

  #delay (): number {
    return this.faults.minDelayMs - this.faults.meanDelayMs * Math.log(1 - this.random())
  }

  async #serve<R extends ReplicaRequest> (core: ReplicaCore, request: R): Promise<ReplyOf<R>> {
    const reply = await core.handle(this.versionsStripped && 'version' in request ? { ...request, version: undefined } : request)
    if ((reply as { version?: unknown }).version !== undefined) this.versionRefusals++
    return reply
  }

  /** A request from `from` to the replica on `to`, with the world's losses, delays and timeout. */
  call<R extends ReplicaRequest> (from: string, to: string, request: R): Promise<ReplyOf<R>> {
    const copy = clone(request)
    return this.#exchange(from, to, async (core) => {
      const checked = checkReplicaRequest(copy)
      const reply = await this.#serve(core, checked)
      // the owner checks what a replica answers, as the mesh's link does
      return () => checkReplicaReply(copy, clone(reply)) as ReplyOf<R>
    })
  }

  /** Many entities' lease requests from `from` to `to` in one message (replica/replica-batch.ts):
   * lost, delayed and timed out whole, each item served by the replica as on its own, in order, and
   * answered in its place. The world's replicas hold every partition: partition 0 of 1. */
  callBatch (from: string, to: string, items: readonly BatchItem[]): Promise<readonly BatchItemOutcome[]> {
    this.leaseBatchesSent++
    this.leaseItemsBatched += items.length
    const copy = clone(items)
    return this.#exchange(from, to, async (core) => {
      const msg = checkReplicaBatch({ type: 'replica-batch', items: copy, replyTo: { askId: 'sim', node: from } }, 1)
      const replies = await Promise.all(msg.items.map(async (item) => {
        try {
          return { reply: await this.#serve(core, item.request) }
        } catch (err) {
          return { error: errorData(err) }
        }
      }))
      return () => checkReplicaBatchReply(copy, clone(replies))
    })
  }

  /** One request and its answer between two nodes: `serve` runs on the target's replica and gives
   * the answer as the caller checks it (a throw there rejects, as a refused message does). */
  #exchange<T> (from: string, to: string, serve: (core: ReplicaCore) => Promise<() => T>): Promise<T> {
    const caller = this.node(from)
    const generation = caller.generation
    return new Promise<T>((resolve, reject) => {
      let done = false
      const cancelTimeout = this.at(this.callTimeoutMs, () => {
        if (done || caller.generation !== generation) return
        done = true
        // as the mesh's ask timeout does: a timeout, which an owner waits out and retries
        reject(Object.assign(new Error(`${to} did not answer within ${this.callTimeoutMs} ms`), { kind: 'timeout' }))
      })
      const lost = (a: string, b: string): boolean => !this.canSend(a, b) || this.random() < this.faults.drop
      if (lost(from, to)) return
      this.at(this.#delay(), () => {
        const target = this.node(to)
        if (!target.up) return
        const targetGeneration = target.generation
        let served: Promise<() => T>
        try {
          served = serve(target.core)
        } catch (err) {
          reject(err)
          return
        }
        served.then((answerOf) => {
          if (target.generation !== targetGeneration || lost(to, from)) return
          const answer = answerOf()
          if (this.random() < this.faults.crashAfterReply) {
            this.crash(to)
            this.at(1 + this.random() * 300, () => { this.restart(to) })
          }
          this.at(this.#delay(), () => {
            if (done || caller.generation !== generation) return
            done = true
            cancelTimeout()
            resolve(answer)
          })
        }, (err: unknown) => {
          if (target.generation !== targetGeneration) return
          this.at(this.#delay(), () => {
            if (done || caller.generation !== generation) return
            done = true
            cancelTimeout()
            reject(err as Error)
          })
        })
      })
    })
  }

  /** Whether owners send their lease requests to other nodes batched (LeaseBatches), as a node
   * does; off: one message each. */
  batchLeases = true
  /** Batches of lease requests sent, and the requests in them. */
  leaseBatchesSent = 0
  leaseItemsBatched = 0
  /** Each node's lease batches, for its current generation (a crash drops what was queued). */
  readonly #leaseBatches = new Map<string, { generation: number, batches: LeaseBatches }>()

  #leaseBatchesOf (n: SimNode): LeaseBatches {
    const held = this.#leaseBatches.get(n.id)
    if (held !== undefined && held.generation === n.generation) return held.batches
    const generation = n.generation
    const batches = new LeaseBatches({
      send: (to, items) => this.callBatch(n.id, to, items),
      single: (to, _partition, request) => this.call(n.id, to, request),
      // (what the node does in this turn of its event loop: this instant, after what is queued)
      defer: (fn) => { this.at(0, () => { if (n.generation === generation) fn() }) },
      clock: () => this.clockOf(n.id)
    })
    this.#leaseBatches.set(n.id, { generation, batches })
    return batches
  }

  /** The environment an owner on `node` runs in: its timers die with its node. */
  ownerEnv (node: string): OwnerEnv {
    const n = this.node(node)
    const generation = n.generation
    const clock = this.clocks.get(node)
    // (a node that crashed since runs none of its owners any more: they send nothing, and what
    // answers their requests finds nobody; seed 500039279 read through an owner that outlived its
    // node's crash, its feed still writing and renewing its lease)
    const never = new Promise<never>(() => {})
    const batches = this.batchLeases ? this.#leaseBatchesOf(n) : undefined
    return {
      call: (to, request) => n.generation !== generation
        ? never
        // (lease requests to other nodes go in one message per node and turn, as a node sends them)
        : (batches !== undefined && to !== node && (request.op === 'lease' || request.op === 'release')
            ? batches.call(to, 0, request) as Promise<ReplyOf<typeof request>>
            : this.call(node, to, request)).then((r) => n.generation === generation ? r : never, (err: unknown) => n.generation === generation ? Promise.reject(err) : never),
      // a wait of ms on this node's clock
      timer: (ms, fn) => this.at(clock === undefined ? ms : ms / clock.rate, () => { if (n.generation === generation) fn() }),
      random: this.random,
      // (epochs come from it: a node's wall clock, which may be off by its offset)
      now: () => this.clockOf(node),
      clock: () => this.clockOf(node),
      // what membership tells a real owner (a node down is found within failure-timeout): here,
      // at once
      live: (to) => this.node(to).up
    }
  }

  storageOf (n: SimNode): ReplicaStorage {
    return {
      load: async (entity) => {
        const e = n.disk.get(entity)
        if (e === undefined) return undefined
        // as the LevelDB storage does: an append within an epoch leaves the state as it was, and
        // the head is the last record's
        const head = Math.max(0, ...e.records.keys())
        if (head <= e.state.summary.head) return e.state
        return { ...e.state, summary: { ...e.state.summary, head, headEpoch: (e.records.get(head) as StoredRecord).epoch } }
      },
      write: (entity, previousHead, change) => {
        const generation = n.generation
        return new Promise<void>((resolve) => {
          // an fsync takes a while; a crash before it lands loses the write (it never resolves)
          this.at(0.05 + this.random() * 1.5, () => {
            if (n.generation !== generation) return
            const before = n.disk.get(entity)
            this.watchWrite(n.id, entity, before, change, previousHead)
            const e: DiskEntity = before ?? { state: change.state, records: new Map(), snapshot: undefined }
            if (change.removeBelow !== undefined) {
              for (const s of [...e.records.keys()].filter((k) => k < (change.removeBelow as number))) {
                e.records.delete(s)
                e.damaged?.delete(s)
              }
              // a fault below the floor, a record damaged or lost, is gone with the trim (a lost
              // one is not among the records)
              const prefix = `${n.id}|${entity}|`
              for (const key of [...this.#faulty]) {
                if (key.startsWith(prefix) && Number(key.slice(prefix.length)) < change.removeBelow && this.#faulty.delete(key)) this.rewritten++
              }
            }
            if (change.removeFrom !== undefined) {
              for (let s = change.removeFrom; s <= previousHead; s++) {
                e.records.delete(s)
                e.damaged?.delete(s)
                if (this.#faulty.delete(`${n.id}|${entity}|${s}`)) this.rewritten++
              }
            }
            for (const r of [...change.replace ?? [], ...change.records ?? []]) {
              e.records.set(r.seq, clone(r))
              e.damaged?.delete(r.seq)
              if (this.#faulty.delete(`${n.id}|${entity}|${r.seq}`)) this.rewritten++
            }
            if (change.snapshot !== undefined) e.snapshot = clone(change.snapshot)
            if (change.stateChanged !== false || change.snapshot !== undefined || change.removeFrom !== undefined || change.removeBelow !== undefined) e.state = clone(change.state)
            n.disk.set(entity, e)
            resolve()
          })
        })
      },
      read: async (entity, from, limit) => {
        const e = n.disk.get(entity)
        const out: StoredRecord[] = []
        if (e === undefined) return out
        for (let s = from; out.length < limit; s++) {
          const r = e.records.get(s)
          if (r === undefined) break
          // as the LevelDB storage does: a damaged record fails its seal, never returned as data
          if (e.damaged?.has(s) === true) throw Object.assign(new Error(`corrupt record at ${entity} seq ${s}: SHA-256 does not match the content`), { name: 'CorruptRecordError', kind: 'internal' })
          out.push(clone(r))
        }
        return out
      },
      repairRecords: (entity, records) => {
        const generation = n.generation
        return new Promise<number[]>((resolve) => {
          this.at(0.05 + this.random() * 1.5, () => {
            if (n.generation !== generation) return
            const e = n.disk.get(entity)
            if (e === undefined) {
              resolve([])
              return
            }
            const put: number[] = []
            for (const r of records) {
              // (one that reads correctly gives way only to a later revision of itself)
              const held = e.records.get(r.seq)
              if (held !== undefined && e.damaged?.has(r.seq) !== true && !(held.epoch === r.epoch && (r.rev ?? 0) > 0 && laterRevision(r, held))) continue
              e.records.set(r.seq, clone(r))
              e.damaged?.delete(r.seq)
              this.#faulty.delete(`${n.id}|${entity}|${r.seq}`)
              put.push(r.seq)
            }
            resolve(put)
          })
        })
      },
      loadSnapshot: async (entity) => {
        const s = n.disk.get(entity)?.snapshot
        return s === undefined ? undefined : clone(s)
      },
      // (the world's replicas hold every partition: partition 0 of 1, one version a node)
      partitionOf: () => 0,
      loadVersion: async (partition) => n.diskVersions.get(partition) ?? 0,
      saveVersion: (partition, version) => {
        const generation = n.generation
        return new Promise<void>((resolve) => {
          // durable after a while, as a promise's write; a crash before it loses it
          this.at(0.05 + this.random() * 1.5, () => {
            if (n.generation !== generation) return
            n.diskVersions.set(partition, Math.max(version, n.diskVersions.get(partition) ?? 0))
            resolve()
          })
        })
      }
    }
  }

  /** Runs events until none is left or the clock passes `until`; after each, every promise the
   * event settled runs to its next wait (setImmediate comes after all microtasks). */
  async run (until: number, afterStep?: () => void): Promise<void> {
    await runEvents(this.#queue, until, (at) => {
      if (at > this.#now) this.#sameInstant = 0
      else if (++this.#sameInstant > LIVELOCK_EVENTS) throw new Error(`livelock: more than ${LIVELOCK_EVENTS} events at t=${at} without time moving on`)
      this.#now = at
    }, () => {
      this.steps++
      afterStep?.()
    })
  }

}

