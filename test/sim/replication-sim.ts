/**
 * One seeded run of the replication protocol under faults (docs/replication.md): crashes (replies
 * lost to some), silent partitions both ways and one way (messages lost, no error), drops and long
 * delays, owners racing for entities, each node's clock running at its own rate within the drift
 * the owners' leases assume, with its invariants checked at every durable write, every
 * acknowledgement and every read, and the whole journal of every entity checked at the end after
 * the network heals:
 * - no acknowledged record is ever removed from a replica that held it, and each is on W replicas
 *   when acknowledged;
 * - no two acknowledged records hold one (entity, seq);
 * - a replica's promised epoch never goes down; no two activations hold one epoch;
 * - a replica never stores an append of an epoch below what it promised (a stale owner's append
 *   never lands);
 * - clients read through owners, current or superseded (a client cannot tell): every read that
 *   began after a record was acknowledged holds it at its seq (linearizability), returns nothing
 *   that was not sent at that seq or where another record was acknowledged, and everything a
 *   read returned is in the final journal;
 * - at the end a new owner recovers every acknowledged record at its seq, nothing twice, nothing
 *   that was never sent, and every replica holds the same journal.
 * In some seeds the replica sets change mid-run, as when a storage node joins (docs/replication.md,
 * "Roster changes"): open activations are reconfigured to the new set (some at once, some late, as
 * nodes hear of the member at different times), new ones take the new set (or, not having heard
 * yet, the old one), every owner fences the other nodes as former holders, and each new replica is
 * a learner until it caught up ("Replica moves"). Every fault happens in those seeds too (partitions,
 * several nodes down, any W: what `--roster-faults` enabled before issue 35).
 * In half of the seeds whose sets change, the change is a storage node leaving: it is replaced by
 * another in every set it was in, hands off (its replica retired, each new replica pulling from
 * it until nothing is left, as hand-off.ts does) and is then gone for good, its disk with it; at
 * that moment every acknowledged record it held must be on every new replica.
 * In 30% of the seeds with more than one replica, anti-entropy runs: now and then one replica of an
 * entity's set pulls it from another (fills after its head, repairs before it, and a tail that
 * parts from a newer log gives way to it: ReplicaCore.adopt).
 * In some seeds disks damage or lose stored copies of records (one another node holds intact), and
 * scrub passes put them back from other replicas over the same faulty network; at the end no
 * replica in step with the final owner may hold a damaged or missing record.
 * In half of the seeds owners move entities live (docs/replication.md, "Hand-over"): an owner stops
 * writing, waits for its writes, hands its hold on the log over (EntityLog.handOver) and sends the
 * ticket over the same faulty network to another node, which goes on from it without a fence
 * (EntityLog.resume), or opens the entity as usual when the ticket does not fit its view; racing
 * activations, crashes and partitions go on meanwhile.
 */
import { EntityLog, fenceForMove, checkLogTicket, compareLogs, epochAt, floorOf, laterRevision, matchPoint, NARROW_FENCES, REPLAN_ATTEMPTS } from '../../node/replication/index.ts'
import { SimEdits, trimmedOn } from './sim-edits.ts'
import { SimRosterVersions } from './sim-versions.ts'
import { SimWorld, prng } from './sim-world.ts'
import type { DiskEntity } from './sim-world.ts'
import type { LogSummary, OlderSet, ReplicaChange, StoredRecord } from '../../node/replication/index.ts'

export interface SimOptions {
  /** Virtual ms of faults and writes before the network heals. @default 6000 */
  readonly durationMs?: number
  readonly log?: (line: string) => void
  /** A disk that silently drops some records it was asked to keep: only to show that the checks
   * catch a replica that loses what it acknowledged. */
  readonly faultyDisk?: boolean
  /** Owners' leases (docs/replication.md, "Leases"), each node's clock running at its own rate
   * within the drift the leases assume. Default: true. */
  readonly leases?: boolean
  /** Clients reading through owners (current or not), each read checked for linearizability.
   * Default: true. */
  readonly reads?: boolean
  /** Some partitions cut one way only. Default: true. */
  readonly oneWayCuts?: boolean
  /** False: reads are served from what the owner holds without its lease checked (the owner's
   * acknowledged head, read from its replicas), as before issue 35: only to show that the checks
   * catch a stale read. */
  readonly leaseReads?: boolean

  /** Replica sets change mid-run in this seed when it has more than three nodes (a test that needs
   * a storage node to join or leave sets it); default: 30% of those seeds. */
  readonly rosterChange?: boolean
  /** Disk faults (records damaged or lost, scrub repairing them) in this seed; default: in 30% of
   * seeds with more than one replica. */
  readonly diskFaults?: boolean
  /** False: nothing repairs the disks (only to show that the checks catch damage left behind). */
  readonly scrub?: boolean
  /** In a seed whose replica sets change: the change is a storage node leaving (one node replaced
   * by another in every set it was in), handed off and then gone for good. Default: half of
   * those seeds. */
  readonly decommission?: boolean
  /** False: the leaving node is gone without handing anything off (only to show that the checks
   * catch what that loses). */
  readonly handOff?: boolean
  /** Anti-entropy passes between an entity's replicas in this seed; default: 30% of seeds with
   * more than one replica. */
  readonly antiEntropy?: boolean
  /** In a seed where a storage node leaves: it is lost for good instead (its process and disk
   * gone at once, as when a node stays down past replica-replace-after), replaced in every set
   * it was in, and nothing is handed off: the new replicas catch up from the others. Default: half
   * of those seeds. */
  readonly replace?: boolean
  /** False: a new replica counts as a full one at once, without catching up as a learner (only to
   * show that the checks catch what that loses). */
  readonly catchUp?: boolean
  /** True: a learner counts itself caught up without pulling anything (only to show that the
   * checks catch a catch-up that moves nothing). */
  readonly hollowCatchUp?: boolean
  /** Live hand-overs of an entity's log from one owner to another in this seed; default: half
   * of the seeds. */
  readonly handOvers?: boolean
  /** True: the first few hand-overs' tickets reach two nodes, and both go on from them (only to
   * show that the checks catch a ticket used twice: a ticket must be used once). */
  readonly reuseTickets?: boolean
  /** Logs every durable write of every replica (with `log`: to follow a failing seed). */
  readonly traceWrites?: boolean
  /** Owners rewrite and trim their journals in this seed (sim-edits.ts); default: half of the seeds. */
  readonly edits?: boolean
  /** Disks that keep no rewrite (while their replicas say they hold it), or trim past the floor
   * asked: only to show that the checks catch them. */
  readonly editFault?: 'hollow-rewrites' | 'deep-trims'
  /** Owners fence only their replicas, the node ranked next and the other view's set (the narrow
   * rule of docs/replication.md, "Former holders"), or every node. Default: what production does
   * (NARROW_FENCES). */
  readonly narrowFences?: boolean
  /** false: a take keeps the set it planned on when its node hears of the change of sets while it
   * takes the entity (what ReplicatedJournal did before a take re-planned: docs/replication.md,
   * "Roster changes"), only to show what that let happen. Default: it re-plans, as production. */
  readonly replan?: boolean
  /** Roster versions (docs/replication.md, "Roster versions"; sim-versions.ts): the change of sets is
   * version 2, learnt by each node at its own time (some only when a replica refuses them);
   * replicas refuse owners of older versions; an owner fences its version's set and the earlier
   * one, not every node; an open log whose node learns a newer version takes the entity again. */
  readonly rosterVersions?: boolean
  /** With rosterVersions, whether the hand-off is settled during the run (settleRun). @default true */
  readonly settle?: boolean
  /** With rosterVersions, whether an open log follows a newer version (journal/log-move.ts) rather
   * than stopping for its entity to be taken again. @default true, as production */
  readonly moveOpenLogs?: boolean
  /** With rosterVersions, a flaw only to show that the checks catch it: replicas that never refuse
   * an older version ('no-refusal'), owners that fence only their version's set ('no-older-sets'),
   * or takes that need of the earlier set only what the every-node rule asks (fewer than W unread,
   * 'older-sets-unchecked'). */
  readonly versionFault?: 'no-refusal' | 'no-older-sets' | 'older-sets-unchecked'
  /** With rosterVersions, a settle with a step left out, only to show that the checks catch it: no
   * version stored on the old set ('no-raise'), no pull by the new set ('no-pull'), or no wait for
   * the leases granted before the raise ('no-lease-wait'). */
  readonly settleFault?: 'no-raise' | 'no-pull' | 'no-lease-wait'
}

export interface SimResult {
  readonly seed: number
  readonly violations: string[]
  readonly config: { nodes: number, replicas: number, writeQuorum: number, entities: number, rosterChange: boolean, diskFaults: boolean, decommission: boolean, antiEntropy: boolean, replace: boolean, handOvers: boolean, leaseMs: number, maxDrift: number, edits?: boolean }
  readonly stats: {
    acked: number, sent: number, activations: number, opened: number, stale: number, crashes: number, partitions: number, oneWayCuts: number, damaged: number, repaired: number, rewritten: number, handedOff: number, antiEntropy: number, adopted: number, caughtUp: number, handedOver: number, resumed: number,
    reads: number, readsAnswered: number, readsRefused: number, leaseHeld: number, steps: number, virtualMs: number,
    rewrites?: number, rewritesAcked?: number, trims?: number, trimsAcked?: number,
    /** Lease requests that went to another node in a batch, and the batches they went in. */
    leaseItemsBatched?: number, leaseBatches?: number
    /** Takes begun after the change of sets, and the nodes they fenced in all (replicas included). */
    takesAfterChange?: number, fencedAfterChange?: number,
    /** Hand-offs settled (rosterVersions: settleRun). */
    settled?: number
    /** Open logs that followed a newer roster version (moved), and that could not (taken again). */
    followed?: number, followFailed?: number
    /** Requests a replica refused for an older roster version (rosterVersions). */
    versionRefusals?: number
  }
}

interface Activation {
  readonly id: string
  readonly node: string
  readonly entity: string
  /** Its node's life it runs in (SimNode.generation): a crash ends it. */
  readonly generation: number
  log: EntityLog | undefined
  dead: boolean
  /** Its node heard of the change of replica sets while it was taking the entity on the old set:
   * its take stops and starts again on the new one (ReplicatedJournal re-plans a take). */
  replan?: boolean
  /** Settles once every write it issued settled. */
  writes: Promise<void>
  /** The roster version its log was taken (or resumed) under (rosterVersions). */
  version?: number
}

/** Runs one seed; a run that throws (a bug, or a loop that never lets time pass) is a failure too,
 * with what it found until then. */
export async function runSeed (seed: number, options: SimOptions = {}): Promise<SimResult> {
  const partial: { config?: SimResult['config'], stats?: SimResult['stats'], violations: string[] } = { violations: [] }
  try {
    return await simulate(seed, options, partial)
  } catch (err) {
    return {
      seed,
      violations: [...partial.violations, `the run threw: ${(err as Error).message}`],
      config: partial.config ?? { nodes: 0, replicas: 0, writeQuorum: 0, entities: 0, rosterChange: false, diskFaults: false, decommission: false, antiEntropy: false, replace: false, handOvers: false, leaseMs: 0, maxDrift: 0 },
      stats: partial.stats ?? { acked: 0, sent: 0, activations: 0, opened: 0, stale: 0, crashes: 0, partitions: 0, oneWayCuts: 0, damaged: 0, repaired: 0, rewritten: 0, handedOff: 0, antiEntropy: 0, adopted: 0, caughtUp: 0, handedOver: 0, resumed: 0, reads: 0, readsAnswered: 0, readsRefused: 0, leaseHeld: 0, steps: 0, virtualMs: 0 }
    }
  }
}

async function simulate (seed: number, options: SimOptions, partial: { config?: SimResult['config'], stats?: SimResult['stats'], violations: string[] }): Promise<SimResult> {
  const world = new SimWorld(seed)
  const rnd = world.random
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const logLine = options.log
  const say = logLine === undefined ? () => {} : (line: string): void => { logLine(`t=${world.now.toFixed(1)} ${line}`) }
  const duration = options.durationMs ?? 6000
  const withLeases = options.leases ?? true
  const withReads = options.reads ?? true
  const withOneWay = options.oneWayCuts ?? true
  // what issue 35 added draws from a stream of its own
  const extra = prng(seed ^ 0x1ea5e)
  const pickExtra = <T>(xs: readonly T[]): T => xs[Math.floor(extra() * xs.length)] as T

  const nodeCount = 3 + Math.floor(rnd() * 3)
  const names = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`)
  if (options.faultyDisk === true) {
    const storageOf = world.storageOf.bind(world)
    world.storageOf = (node) => {
      const storage = storageOf(node)
      return { ...storage, write: (entity, previousHead, change) => storage.write(entity, previousHead, rnd() < 0.05 ? { ...change, records: change.records?.slice(1) } : change) }
    }
  }
  if (options.editFault !== undefined) {
    const storageOf = world.storageOf.bind(world)
    world.storageOf = (node) => {
      const storage = storageOf(node)
      return {
        ...storage,
        write: (entity, previousHead, change) => storage.write(entity, previousHead, options.editFault === 'hollow-rewrites'
          ? { ...change, replace: undefined }
          : change.removeBelow === undefined ? change : { ...change, removeBelow: change.removeBelow + 2, state: { ...change.state, summary: { ...change.state.summary, floor: change.removeBelow + 2 } } })
      }
    }
  }
  for (const n of names) world.addNode(n)
  // the sets after "a storage node joined", when this seed has one
  const rosterChange = nodeCount > 3 && (options.rosterChange ?? rnd() < 0.3)
  // (every fault happens in those seeds too: partitions, several nodes down, any W)
  const R = rosterChange ? 3 : pick([1, 3, 3, 3, nodeCount].filter((r) => r <= nodeCount))
  const W = rnd() < 0.7 ? Math.floor(R / 2) + 1 : 1 + Math.floor(rnd() * R)
  const entityCount = 1 + Math.floor(rnd() * 3)
  const entities = Array.from({ length: entityCount }, (_, i) => `room/r${i}`)
  const replicasOf = new Map(entities.map((e) => [e, shuffle([...names], rnd).slice(0, R)]))
  const nextReplicasOf = new Map(entities.map((e) => [e, shuffle([...names], rnd).slice(0, R)]))
  let changed = false
  const setOf = (entity: string, heard: boolean): string[] => (changed && heard ? nextReplicasOf : replicasOf).get(entity) ?? []
  // (a node gone for good is not asked: it handed off, or it was replaced, as a node's roster
  // leaves out replaced nodes and leaving ones that are down: replicated-journal.ts)
  const formersOf = (replicas: readonly string[]): string[] => names.filter((n) => !replicas.includes(n) && !world.gone.has(n))
  // (drawn from a stream of their own, so that the schedule of every seed replays as before)
  const recordRnd = prng(seed ^ 0xf0e1)
  /**
   * Whom an owner of `entity` writing to `replicas` fences besides them (docs/replication.md,
   * "Former holders"), as ReplicatedJournal does: its roster's recorded former holders and the node
   * ranked next. Before the change, a node that is no replica (ranked next); after it, the other
   * view's set as well: to an owner of the new set the old set's replicas are recorded former
   * holders, to one of the old set the new set's are what one roster change away would place. Some
   * owners do not know the former holders (an older version's roster): every node, as before. And
   * a replica answering as a learner widens any take to every node (`widen`).
   */
  const fenceTargets = (entity: string, replicas: readonly string[]): { formerHolders: string[], widen: { formerHolders: string[], absentHolders: number } } => {
    const every = formersOf(replicas)
    const widen = { formerHolders: every, absentHolders: 0 }
    // (as production unless the run says otherwise: NARROW_FENCES off, every owner fences every node)
    if (recordRnd() < 0.15 || !(options.narrowFences ?? NARROW_FENCES)) return { formerHolders: every, widen }
    const old = replicasOf.get(entity) ?? []
    const next = nextReplicasOf.get(entity) ?? []
    const ranked = names.find((n) => !old.includes(n) && !next.includes(n))
    const holders = changed ? [...old, ...next] : [...old, ...(ranked === undefined ? [] : [ranked])]
    return { formerHolders: every.filter((n) => holders.includes(n)), widen }
  }
  /** The set of an entity under roster version v (rosterVersions): the change of sets is v2. */
  const setAt = (entity: string, v: number): string[] => (v >= 2 ? nextReplicasOf : replicasOf).get(entity) ?? []
  /** Whom an owner under version v fences besides its set: the earlier version's set until its
   * node learnt the hand-off settled (nodes gone for good left out), which its take must hold too. */
  /** The nodes of `entity`'s old set lost for good (replaced, not handed off): as production
   * counts them (fence-targets.ts, quorum.ts holdsEarlierSet), each set's `lost`. */
  const lostOf = (entity: string): number => (replicasOf.get(entity) ?? []).filter((n) => replace && n === leaving && world.gone.has(n)).length
  const versionedTargets = (entity: string, v: number, node: string): { formerHolders: string[], olderSets?: OlderSet[] } => {
    if (options.versionFault === 'no-older-sets') return { formerHolders: [] }
    // (as production: olderSets always given under a version, none once settled: a learner's
    // promise then counts as any, entity-take.ts)
    if (v < 2 || versions?.settled(node, entity) === true) return { formerHolders: [], olderSets: [] }
    const old = (replicasOf.get(entity) ?? []).filter((n) => !world.gone.has(n))
    const now = setAt(entity, v)
    return { formerHolders: old.filter((n) => !now.includes(n)), ...(options.versionFault !== 'older-sets-unchecked' && { olderSets: [{ nodes: old, writeQuorum: W, lost: lostOf(entity) }] }) }
  }
  world.faults.drop = pick([0, 0.01, 0.05, 0.2])
  world.faults.meanDelayMs = pick([1, 3, 20])
  world.faults.crashAfterReply = pick([0, 0.005, 0.02, 0.05])
  // disk faults (issue 13): stored copies damaged or lost, scrub putting them back from a healthy
  // replica; drawn last, so that seeds without them replay as before
  const diskFaults = options.diskFaults ?? (R > 1 && rnd() < 0.3)
  // a storage node leaving (issue 13's hand-off): drawn after the rest, so other seeds replay as before
  const decommission = rosterChange && (options.decommission ?? rnd() < 0.5)
  const leaving = decommission ? pick(names) : undefined
  if (leaving !== undefined) {
    for (const e of entities) {
      const old = replicasOf.get(e) ?? []
      const spare = names.filter((n) => !old.includes(n))
      nextReplicasOf.set(e, old.includes(leaving) ? old.map((n) => n === leaving ? pick(spare) : n) : [...old])
    }
  }
  // anti-entropy between replicas (fills, repairs, adoptions of a newer log), drawn last
  const antiEntropy = options.antiEntropy ?? (R > 1 && rnd() < 0.3)
  // the leaving node lost for good and replaced (issue 13), drawn after the rest
  // (never with W = 1: a record is acknowledged on one replica, which may be the one lost; a node
  // does not replace a storage node then either, catch-up.ts)
  const replace = decommission && (options.replace ?? rnd() < 0.5) && W > 1
  // live hand-overs between owners (issue 14), drawn from a stream of their own: a seed without
  // them replays exactly as it did before they were simulated
  const handOvers = options.handOvers ?? prng(seed ^ 0x5eed)() < 0.5
  // leases (issue 35): how long, and the drift they assume; each node's clock runs at its own rate
  // within it (any two disagree about a duration by less than maxDrift), from its own offset
  const leaseMs = withLeases ? pickExtra([100, 250, 600, 1500]) : 0
  const maxDrift = withLeases ? pickExtra([0, 0.001, 0.01, 0.05]) : 0
  const lease = withLeases ? { ms: leaseMs, maxDrift } : undefined
  if (withLeases) {
    world.leaseMs = leaseMs
    // rates in [1 - d, 1 + d] with (1 - d) / (1 + d) >= 1 - maxDrift
    const d = maxDrift / (2 - maxDrift) * 0.999
    for (const n of names) world.clocks.set(n, { rate: 1 + (2 * extra() - 1) * d, offset: extra() * 100 })
    for (const n of names) world.node(n).core = world.replicaOf(world.node(n))
  }
  // rewrites and trims (issue 38), drawn from a stream of their own
  const editRnd = prng(seed ^ 0xed175)
  const withEdits = options.edits ?? editRnd() < 0.5
  const config = { nodes: nodeCount, replicas: R, writeQuorum: W, entities: entityCount, rosterChange, diskFaults, decommission, antiEntropy, replace, handOvers, leaseMs, maxDrift, edits: withEdits }
  say(`seed ${seed}: ${JSON.stringify(config)}, drop ${world.faults.drop}, delay ~${world.faults.meanDelayMs} ms, crash after reply ${world.faults.crashAfterReply}${withLeases ? `, clocks ${names.map((n) => `${n} x${(world.clocks.get(n)?.rate ?? 1).toFixed(5)}`).join(' ')}` : ''}`)

  const violations: string[] = partial.violations
  partial.config = config
  const violate = (what: string): void => {
    if (violations.length < 20) violations.push(`t=${world.now.toFixed(2)} ${what}`)
  }
  const stats = { acked: 0, sent: 0, activations: 0, opened: 0, stale: 0, crashes: 0, partitions: 0, oneWayCuts: 0, damaged: 0, repaired: 0, rewritten: 0, handedOff: 0, antiEntropy: 0, adopted: 0, caughtUp: 0, handedOver: 0, resumed: 0, reads: 0, readsAnswered: 0, readsRefused: 0, leaseHeld: 0, steps: 0, virtualMs: 0, takesAfterChange: 0, fencedAfterChange: 0, settled: 0, followed: 0, followFailed: 0 }
  partial.stats = stats
  /** entity → seq → value acknowledged there. */
  const acked = new Map<string, Map<number, string>>(entities.map((e) => [e, new Map()]))
  const sent = new Set<string>()
  /** Each value sent, and the seq it was appended at. */
  const sentAt = new Map<string, number>()
  /** entity → what was acknowledged, in order (n: the count of acknowledgements so far). */
  const ackLog = new Map<string, Array<{ seq: number, v: string, n: number }>>(entities.map((e) => [e, []]))
  let ackCount = 0
  /** What reads returned ("entity|seq|value"): each was acknowledged, so the final journal holds it. */
  const readBack = new Set<string>()
  /** entity → epoch → activation that opened with it. */
  const epochs = new Map<string, Map<number, string>>(entities.map((e) => [e, new Map()]))

  const holds = (disk: DiskEntity | undefined, seq: number, value: string): boolean => (disk?.records.get(seq)?.event as { v?: string } | undefined)?.v === value
  const edits = new SimEdits(editRnd, withEdits, violate, acked, say)

  world.watchWrite = (node: string, entity: string, before: DiskEntity | undefined, change: ReplicaChange, previousHead: number) => {
    if (options.traceWrites === true) say(`WRITE ${node} ${entity} promised ${before?.state.summary.promised ?? 0}->${change.state.summary.promised} by ${change.state.promisedBy} head ${before?.state.summary.head ?? 0}->${change.state.summary.head}${change.removeFrom !== undefined ? ` removeFrom ${change.removeFrom}` : ''} records ${change.records?.[0]?.seq ?? '-'}..${change.records?.[change.records.length - 1]?.seq ?? '-'} epoch ${change.records?.[0]?.epoch ?? '-'}`)
    const prevPromised = before?.state.summary.promised ?? 0
    if (change.state.summary.promised < prevPromised) violate(`${node} ${entity}: promised went down ${prevPromised} -> ${change.state.summary.promised}`)
    for (const r of change.records ?? []) {
      if (r.epoch > change.state.summary.promised) violate(`${node} ${entity}: stored seq ${r.seq} of epoch ${r.epoch} above its promise ${change.state.summary.promised}`)
    }
    if (change.records !== undefined && change.records.length > 0 && prevPromised > change.state.summary.promised) violate(`${node} ${entity}: stale append stored`)
    // (a trim removes what is below its floor: sim-edits.ts checks the floors)
    const trimmed = edits.checkWrite(node, entity, before, change)
    // an acknowledged record never leaves a replica that held it (only the seqs the change
    // touches can: those it removes, as the disk does, and those it writes)
    if (before === undefined) return
    const ackedHere = acked.get(entity) as Map<number, string>
    const written = new Map([...change.replace ?? [], ...change.records ?? []].map((r) => [r.seq, r]))
    const check = (seq: number): void => {
      if (seq < trimmed) return
      const value = ackedHere.get(seq)
      if (value === undefined || !holds(before, seq, value)) return
      const now = written.get(seq) ?? (change.removeFrom !== undefined && seq >= change.removeFrom && seq <= previousHead ? undefined : before.records.get(seq))
      if ((now?.event as { v?: string } | undefined)?.v !== value) violate(`${node} ${entity}: acknowledged seq ${seq} (${value}) removed or changed`)
    }
    if (change.removeFrom !== undefined) for (let seq = change.removeFrom; seq <= previousHead; seq++) check(seq)
    for (const seq of written.keys()) check(seq)
  }

  /** Copies a disk fault took away ("node|entity|seq|value"): they were held (the fault is the
   * disk's, after the replica kept the record and maybe before its acknowledgement arrived). */
  const lostToFaults = new Set<string>()
  /** When each of those copies was lost (virtual ms). */
  const lostAt = new Map<string, number>()
  /** Copies a node lost for good held when it went (same form): it held them when they were
   * acknowledged. */
  const goneWith = new Set<string>()
  /** "node|entity" → the floor a node lost for good had trimmed its copy to when it went: it held
   * the records below it in its snapshot (seed 605423706: an ack that came late, after a trim). */
  const goneFloor = new Map<string, number>()
  const holders = (entity: string, replicas: readonly string[], seq: number, value: string): number =>
    // (a replica that trimmed it holds it in its snapshot: a trim covers only acknowledged records)
    replicas.filter((n) => holds(world.node(n).disk.get(entity), seq, value) || trimmedOn(world.node(n).disk.get(entity), seq) || lostToFaults.has(`${n}|${entity}|${seq}|${value}`) || goneWith.has(`${n}|${entity}|${seq}|${value}`) || seq < (goneFloor.get(`${n}|${entity}`) ?? 0)).length

  let activationN = 0
  const live: Activation[] = []

  /** What an activation's log is opened (or resumed) with: on its node, writing to `replicas`; a
   * failure ends the activation. */
  /** What an owner on `node` under roster version `v` carries (rosterVersions): its version in its
   * requests, the replicas' refusals telling its node a newer one (owner-versions.ts). */
  const versioned = (node: string, v: number | undefined, a?: Activation): { version?: number | (() => number), newerVersion?: (newer: number) => void } =>
    v === undefined ? {} : { version: a === undefined ? v : () => a.version ?? v, newerVersion: (newer) => { versions?.learn(node, newer) } }
  const ownerOptions = (a: Activation, replicas: readonly string[]) => ({
    entityId: a.entity,
    replicas,
    writeQuorum: W,
    self: a.node,
    env: world.ownerEnv(a.node),
    appendTimeoutMs: 1500,
    ...(lease !== undefined && { lease }),
    onFailed: (err: Error) => {
      a.dead = true
      if (err.name === 'StaleEpochError') stats.stale++
    }
  })

  const activate = (entity: string, node: string): void => {
    if (!world.node(node).up) return
    const a: Activation = { id: `a${++activationN}`, node, entity, generation: world.node(node).generation, log: undefined, dead: false, writes: Promise.resolve() }
    stats.activations++
    live.push(a)
    const generation = world.node(node).generation
    // after the change most owners have heard of it; some take the old set (with roster versions:
    // the set of the version its node knows)
    const planned = setOf(entity, rnd() < 0.8)
    const take = (unversioned: readonly string[], attempt: number): void => {
      const activation = attempt === 1 ? a.id : `${a.id}.${attempt}`
      const v = versions?.known(node)
      if (v !== undefined) versions?.plan(activation, v)
      const replicas = v === undefined ? unversioned : setAt(entity, v)
      const targets = v === undefined ? fenceTargets(entity, replicas) : versionedTargets(entity, v, node)
      if (changed) {
        stats.takesAfterChange++
        stats.fencedAfterChange += replicas.length + targets.formerHolders.filter((n) => !replicas.includes(n)).length
      }
      say(`${a.id} on ${node} opens ${entity} on ${replicas.join(',')}${v === undefined ? '' : ` under roster version ${v}`}, fencing ${targets.formerHolders.join(',') || 'no other node'} too${attempt > 1 ? ` (take ${attempt}: the sets changed while it took it)` : ''}`)
      const next = nextReplicasOf.get(entity) ?? []
      const stale = v === undefined ? (): boolean => a.replan === true && replicas.join() !== next.join() : (): boolean => (versions?.known(node) ?? 0) > v
      EntityLog.open({ ...ownerOptions(a, replicas), ...targets, ...versioned(node, v, a), activation, stale }).then((log) => {
        if (world.node(node).generation !== generation) return
        stats.opened++
        a.log = log
        const byEpoch = epochs.get(entity) as Map<number, string>
        const other = byEpoch.get(log.epoch)
        if (other !== undefined && other !== activation) violate(`${entity}: epoch ${log.epoch} held by ${other} and ${activation}`)
        byEpoch.set(log.epoch, activation)
        say(`${a.id} on ${node} took ${entity} at epoch ${log.epoch}, head ${log.head}, replicas ${replicas.join(',')}`)
        a.version = v
        if (v !== undefined && stale()) {
          // (a newer version learnt after its take accepted its round: it follows it)
          follow(a)
          if (a.dead) return
        }
        // (the change heard after its take accepted its fence: it follows, as ReplicatedJournal's open)
        if (a.replan === true && stale()) log.reconfigure(next, W)
        writeLoop(a, generation)
      }, (err: Error) => {
        if (err.name === 'RosterChangedError' && attempt < REPLAN_ATTEMPTS && world.node(node).generation === generation) {
          take(next, attempt + 1)
          return
        }
        a.dead = true
        if (err.name === 'EntityLeaseHeldError') stats.leaseHeld++
        say(`${a.id} on ${node} could not take ${entity}: ${err.name}`)
      })
    }
    take(planned, 1)
  }
  /** An open log under an older roster version than its node knows now stops, and the entity is
   * taken again under the newer one (rosterVersions). */
  const retake = (a: Activation): void => {
    if (a.dead || a.log === undefined || world.node(a.node).generation !== a.generation) return
    say(`${a.id} on ${a.node} stops: its node knows roster version ${versions?.known(a.node) ?? '?'}, it holds ${a.entity} under ${a.version ?? '?'}`)
    a.dead = true
    a.log.close()
    activate(a.entity, a.node)
  }
  /**
   * An open log under an older roster version than its node knows now follows the newer one, as
   * production's does (journal/log-move.ts): it carries it and writes to the new set at once, but
   * acknowledges nothing while it fences what a take under it fences with its own epoch, then
   * acknowledges again; or, when that does not hold (or with moveOpenLogs false), it stops and the
   * entity is taken again. A log resumed from a hand-over of a moving one does the same.
   */
  const follow = (a: Activation): void => {
    const log = a.log
    if (a.dead || log === undefined || world.node(a.node).generation !== a.generation) return
    if (options.moveOpenLogs === false) {
      retake(a)
      return
    }
    const v = versions?.known(a.node) ?? 2
    a.version = v
    // (its hand-over ticket names the version it carries now)
    versions?.plan(log.activation, v)
    log.hold()
    const replicas = setAt(a.entity, v)
    // (written to at once, acknowledged once fenced: log-move.ts)
    log.reconfigure(replicas, W)
    const { formerHolders, olderSets } = versionedTargets(a.entity, v, a.node)
    say(`${a.id} on ${a.node} follows roster version ${v} for ${a.entity}: fences ${[...replicas, ...formerHolders].join(',')} with epoch ${log.epoch}`)
    void fenceForMove({ log, version: v, replicas, writeQuorum: W, targets: { formerHolders, absentHolders: 0, olderSets: olderSets ?? [] }, env: world.ownerEnv(a.node) })
      .catch((err: unknown) => (err as Error).message)
      .then((why) => {
        if (a.dead || a.log !== log || world.node(a.node).generation !== a.generation) return
        if (why === undefined) {
          stats.followed++
          say(`${a.id} on ${a.node} moved ${a.entity} to ${replicas.join(',')} under roster version ${v}`)
          log.release()
        } else {
          stats.followFailed++
          say(`${a.id} on ${a.node} could not follow roster version ${v} (${why})`)
          retake(a)
        }
      })
  }
  const versions = options.rosterVersions === true
    ? new SimRosterVersions(names, (node, v) => {
      world.at(0, () => { for (const a of [...live]) if (a.node === node && (a.version ?? v) < v) follow(a) })
    })
    : undefined
  if (versions !== undefined) world.versionRaised = (node, v) => { versions.learn(node, v) }
  if (options.versionFault === 'no-refusal') world.versionsStripped = true

  let valueN = 0
  const writeLoop = (a: Activation, generation: number): void => {
    const step = (): void => {
      const log = a.log
      if (log === undefined || a.dead || world.now > duration || world.node(a.node).generation !== generation) return
      if (handOvers && rnd() < 0.05) {
        handOver(a, log, generation)
        return
      }
      if (edits.maybeEdit(a.entity, log, `${a.id} on ${a.node}`)) {
        world.at(4, step)
        return
      }
      const count = 1 + Math.floor(rnd() * 3)
      const records = Array.from({ length: count }, (_, i) => {
        const v = `${a.id}.${++valueN}`
        sent.add(v)
        sentAt.set(v, log.head + 1 + i)
        return { seq: log.head + 1 + i, event: { v } }
      })
      stats.sent += count
      const write = log.append(records)
      a.writes = Promise.allSettled([a.writes, write]).then(() => undefined)
      write.then(() => {
        for (const r of records) {
          const map = acked.get(a.entity) as Map<number, string>
          const v = (r.event as { v: string }).v
          const other = map.get(r.seq)
          if (other !== undefined && other !== v) violate(`${a.entity} seq ${r.seq}: acknowledged ${other} and ${v}`)
          map.set(r.seq, v)
          ackLog.get(a.entity)?.push({ seq: r.seq, v, n: ++ackCount })
          stats.acked++
          const h = holders(a.entity, log.replicas, r.seq, v)
          if (h < W) violate(`${a.entity} seq ${r.seq} (${v}) acknowledged with ${h} < W=${W} of its replicas ${log.replicas.join(',')} holding it`)
        }
      }, () => { a.dead = true })
      world.at(rnd() * 8, step)
    }
    step()
  }

  /** A live move (what the kernel's release and adopt do with a journal): the owner writes nothing
   * more and hands its hold over, its writes in flight riding along, and the ticket travels to another node (lost
   * with the network's drops and partitions, or with either node's crash), which goes on from it,
   * or opens the entity when the ticket does not fit its view of the replica set. */
  let ticketN = 0
  const handOver = (a: Activation, log: EntityLog, generation: number): void => {
    a.dead = true
    // at once, the writes in flight riding along (the kernel does the same), or once they settled
    const id = `t${++ticketN}`
    const now = log.handOver(id)
    void (now !== undefined ? Promise.resolve(now) : a.writes.then(() => log.handOver(id))).then((ticket) => {
      if (world.node(a.node).generation !== generation) return
      if (ticket === undefined) {
        say(`${a.id} on ${a.node} could not hand ${a.entity} over (a write failed or waits)`)
        return
      }
      stats.handedOver++
      const targets = names.filter((n) => n !== a.node)
      const twice = options.reuseTickets === true && stats.handedOver <= REUSED_TICKETS
      const to = [pick(targets), ...(twice ? [pick(targets)] : [])]
      for (const node of to) {
        if (!world.canTalk(a.node, node) || rnd() < world.faults.drop) continue
        const copy = structuredClone(ticket)
        world.at(1 + rnd() * 20, () => {
          const target = world.node(node)
          if (!target.up) return
          const taken = checkLogTicket(copy)
          const b: Activation = { id: `a${++activationN}`, node, entity: a.entity, generation: target.generation, log: undefined, dead: false, writes: Promise.resolve() }
          const heard = rnd() < 0.8
          // (with roster versions: the ticket carries its version, and it fits a node of the same, or
          // of a newer one, which goes on under the ticket's and follows its own at once)
          const tv = versions?.versionOf(taken.activation)
          if (tv !== undefined) versions?.learn(node, tv)
          const known = versions?.known(node)
          const behind = tv !== undefined && known !== undefined && known > tv
          const fits = tv === undefined || known === tv || behind
          const resumed = fits ? EntityLog.resume({ ...ownerOptions(b, tv === undefined ? setOf(a.entity, heard) : setAt(a.entity, tv)), ...versioned(node, tv, b) }, taken) : undefined
          b.version = tv
          if (resumed === undefined) {
            say(`${node} could not go on from ${a.id}'s ticket for ${a.entity} (another replica set): it opens it`)
            activate(a.entity, node)
            return
          }
          const lineage = (epochs.get(a.entity) as Map<number, string>).get(resumed.epoch)
          if (lineage !== taken.activation) violate(`${a.entity}: ${node} resumed epoch ${resumed.epoch} of ${taken.activation}, which ${String(lineage)} opened`)
          stats.resumed++
          stats.activations++
          b.log = resumed
          live.push(b)
          say(`${b.id} on ${node} took ${a.entity} from ${a.id} (a hand-over) at epoch ${resumed.epoch}, head ${resumed.head}`)
          // (a ticket of a log moving to a newer version: this owner fences for the move itself)
          if (resumed.moving || behind) follow(b)
          writeLoop(b, target.generation)
        })
      }
    })
  }

  /** What scrub does on a node (node/replication/scrub.ts): each record missing below its
   * entity's last one or damaged is put back from another replica whose log agrees there
   * (ReplicaCore.repair), asked over the faulty network. */
  const scrub = async (node: string): Promise<void> => {
    const n = world.node(node)
    if (!n.up || options.scrub === false) return
    const core = n.core
    for (const [entity, disk] of [...n.disk]) {
      // up to the last record, or to the head the replica reports when the records after the
      // last one kept were lost too
      const summary = (await core.state(entity)).summary
      const top = Math.max(0, ...disk.records.keys(), summary.head)
      const bad: number[] = []
      // (from its floor: what is below was trimmed)
      for (let seq = floorOf(summary); seq <= top; seq++) if (!disk.records.has(seq) || disk.damaged?.has(seq) === true) bad.push(seq)
      for (const seq of bad) {
        for (const peer of names.filter((x) => x !== node)) {
          try {
            const summary = await world.call(node, peer, { op: 'summary', entity })
            const [record] = await world.call(node, peer, { op: 'read', entity, from: seq, limit: 1 })
            if (record?.seq === seq && await core.repair(entity, [record], summary) === 1) {
              stats.repaired++
              say(`scrub on ${node}: ${entity} seq ${seq} put back from ${peer}`)
              break
            }
          } catch (err) {
            // the next replica (and the next pass tries again)
            say(`scrub on ${node}: ${entity} seq ${seq} not from ${peer}: ${String(err)}`)
          }
        }
      }
    }
  }
  if (diskFaults) {
    // a few faults, each on a copy of a record that another node holds intact (the fault is the
    // disk's; losing every copy is not something replication can undo)
    for (let i = 0, faults = 1 + Math.floor(rnd() * 4); i < faults; i++) {
      world.at(rnd() * duration, () => {
        const node = pick(names)
        const held = [...world.node(node).disk].filter(([, d]) => d.records.size > 0)
        if (held.length === 0) return
        const [entity, disk] = pick(held)
        const seq = pick([...disk.records.keys()])
        const value = (disk.records.get(seq)?.event as { v?: string } | undefined)?.v
        const copy = disk.records.get(seq)
        const epoch = copy?.epoch
        // the same record (seq, epoch and event: a recovery's seal rewrites an event in a newer
        // epoch, and that is another record; and at least this revision: a rewrite acknowledged at
        // W = 1 may be here alone, seed 600014122) intact on another node, not counting a node this
        // seed loses for good (a copy lost there and the one here would be a second fault, beyond
        // the W - 1 losses an acknowledged write survives)
        const intactElsewhere = names.some((o) => {
          const d = world.node(o).disk.get(entity)
          const r = d?.records.get(seq)
          return o !== node && !(replace && o === leaving) && d?.damaged?.has(seq) !== true && r?.epoch === epoch && (r?.event as { v?: string } | undefined)?.v === value &&
            (copy === undefined || r === undefined || !laterRevision(copy, r))
        })
        if (!intactElsewhere || disk.damaged?.has(seq) === true) return
        // a lost copy leaves a hole that scrub and reads find; the last record lost without a
        // trace would leave none (a replica's head is its last record: docs/replication.md, "What is
        // not (yet) covered"), a replica silently shorter, so the last is damaged instead
        const last = seq === Math.max(...disk.records.keys())
        const how = rnd() < 0.5 || last ? 'flip' : 'lose'
        stats.damaged++
        say(`disk fault on ${node}: ${entity} seq ${seq} ${how === 'flip' ? 'damaged' : 'lost'}`)
        if (how === 'lose') {
          lostToFaults.add(`${node}|${entity}|${seq}|${value ?? ''}`)
          lostAt.set(`${node}|${entity}|${seq}|${value ?? ''}`, world.now)
        }
        world.damage(node, entity, seq, how)
      })
    }
    // scrub passes now and then, a node at a time
    for (let t = 100; t < duration; t += 100 + rnd() * 400) world.at(t, () => { void scrub(pick(names)) })
  }

  /**
   * A client reads an entity through one of its owners (any activation that has not learned it
   * was superseded: a client cannot know), as History does, sometimes confirming first as a
   * Subscribe does. Every answer is checked: it holds every record acknowledged before the read
   * began, each at its seq (linearizability), and nothing that was not sent at that seq or that
   * another record was acknowledged at.
   */
  const readOnce = (): void => {
    const entity = pickExtra(entities)
    const owners = live.filter((x) => x.entity === entity && x.log !== undefined && !x.dead && world.node(x.node).up && world.node(x.node).generation === x.generation)
    if (owners.length === 0) return
    const a = pickExtra(owners)
    const log = a.log as EntityLog
    const began = ackCount
    const before = (ackLog.get(entity) ?? []).filter((k) => k.n <= began)
    const from = Math.max(1, Math.max(0, ...before.map((k) => k.seq)) - 20)
    const generation = world.node(a.node).generation
    const editsBegan = edits.began()
    stats.reads++
    const reading = options.leaseReads === false
      ? unleasedRead(a, log, from)
      : extra() < 0.3 ? log.confirm().then(async () => await log.read(from, 100_000)) : log.read(from, 100_000)
    reading.then((records) => {
      // an answer from a node that crashed meanwhile never reached the client
      if (world.node(a.node).generation !== generation) return
      stats.readsAnswered++
      const map = acked.get(entity) as Map<number, string>
      // (from the floor the owner holds when it is above `from`: sim-edits.ts checks it)
      const start = records[0]?.seq ?? from
      const lowest = edits.checkRead(entity, from, records, editsBegan, `${a.id} on ${a.node}`)
      if (start < from) violate(`read of ${entity} through ${a.id} on ${a.node} from ${from} returned seq ${start}`)
      records.forEach((r, i) => {
        const v = (r.event as { v: string }).v
        if (r.seq !== start + i) violate(`read of ${entity} through ${a.id} on ${a.node}: seq ${r.seq} at position ${start + i}`)
        if (sentAt.get(v) !== r.seq) violate(`read of ${entity} through ${a.id} on ${a.node} returned ${v} at seq ${r.seq}, which was never sent there`)
        const other = map.get(r.seq)
        if (other !== undefined && other !== v) violate(`read of ${entity} through ${a.id} on ${a.node} returned ${v} at seq ${r.seq}, where ${other} was acknowledged`)
        readBack.add(`${entity}|${r.seq}|${v}`)
      })
      for (const k of before) {
        if (k.seq < from || k.seq < lowest) continue
        const got = records[k.seq - start]
        if ((got?.event as { v?: string } | undefined)?.v !== k.v) {
          violate(`stale read: ${entity} through ${a.id} on ${a.node} (epoch ${log.epoch}) began after seq ${k.seq} (${k.v}) was acknowledged, and answered ${got === undefined ? `up to seq ${from + records.length - 1} only` : String((got.event as { v?: string }).v)}`)
          break
        }
      }
    }, () => { stats.readsRefused++ })
  }
  /** A read as owners served one before issue 35: from what the owner holds, up to its
   * acknowledged head, with no lease checked (leaseReads: false). */
  const unleasedRead = async (a: Activation, log: EntityLog, from: number): Promise<Array<{ seq: number, event: unknown }>> => {
    const upTo = log.committed
    if (upTo < from) return []
    for (const { node } of log.replicaMatches().filter((m) => m.match >= upTo)) {
      try {
        const page = await world.call(a.node, node, { op: 'read', entity: a.entity, from, limit: Math.min(256, upTo - from + 1) })
        if (page[0]?.seq === from) return page
      } catch {
        // the next
      }
    }
    throw new Error('no replica in step answered')
  }
  if (withReads) {
    for (let t = 20 + extra() * 50; t < duration; t += 10 + extra() * 90) world.at(t, readOnce)
  }

  // the schedule of faults and activations
  const schedule = (t: number, fn: () => void): void => { world.at(t, fn) }
  for (const e of entities) schedule(rnd() * 50, () => { activate(e, pick(names)) })
  if (rosterChange) {
    schedule(rnd() * duration, () => {
      changed = true
      if (replace && leaving !== undefined) {
        // lost for good, disk and all (down past replica-replace-after): nothing is handed off
        say(`${leaving} is lost for good and replaced`)
        for (const [entity, disk] of world.node(leaving).disk) {
          for (const [seq, r] of disk.records) goneWith.add(`${leaving}|${entity}|${seq}|${(r.event as { v?: string }).v ?? ''}`)
          goneFloor.set(`${leaving}|${entity}`, floorOf(disk.state.summary))
        }
        world.decommission(leaving)
      }
      if (options.catchUp !== false) {
        for (const e of entities) {
          const old = replicasOf.get(e) ?? []
          for (const n of nextReplicasOf.get(e) ?? []) if (!old.includes(n)) learning.set(n, [...(learning.get(n) ?? []), e])
        }
        for (const n of learning.keys()) {
          world.node(n).core.setLearner(true)
          void catchUp(n)
        }
      }
      say(`replica sets change: ${entities.map((e) => `${e} ${(replicasOf.get(e) ?? []).join(',')} -> ${(nextReplicasOf.get(e) ?? []).join(',')}`).join('; ')}`)
      if (versions !== undefined) {
        // version 2 decided: each node learns it at its own time (half at once, 30% within 500 ms,
        // the rest at any time up to twice the run's length, or earlier from a refusal or a ticket)
        const learnRnd = prng(seed ^ 0x7e75)
        for (const n of names) {
          const r = learnRnd()
          const at = r < 0.5 ? 0 : r < 0.8 ? learnRnd() * 500 : learnRnd() * 2 * duration
          world.at(at, () => { versions.learn(n, 2) })
        }
        if (options.settle !== false) for (const e of entities) void settleRun(e, prng(seed ^ 0x5e77 ^ entities.indexOf(e)))
      }
      for (const a of versions === undefined ? live : []) {
        // each owner hears of it at its own time
        const late = rnd() < 0.3 ? rnd() * 500 : 0
        world.at(late, () => {
          if (a.log !== undefined && !a.dead) a.log.reconfigure(nextReplicasOf.get(a.entity) ?? [], W)
          // (one still taking the entity re-plans: its take stops before it accepts a round)
          else if (!a.dead && options.replan !== false) a.replan = true
        })
      }
    })
  }
  /** One new replica `to` pulls entity `e` from the leaving node (what AntiEntropy.takeOver does
   * for a partition): records missing or damaged before its head put back, the tail after it
   * filled; whether it took anything, and whether the leaving node's log is the newer one. */
  const pullEntity = async (to: string, from: string, entity: string): Promise<{ took: number, fromNewer: boolean }> => {
    if (!edits.enabled) return await pullLog(to, from, entity)
    // rewrites and trims first (a floor taken, revisions later than these), as partition-pull.ts
    const theirs = await world.call(to, from, { op: 'summary', entity })
    const peer = {
      read: async (f: number, limit: number) => await world.call(to, from, { op: 'read', entity, from: f, limit }),
      snapshot: async () => await world.call(to, from, { op: 'load-snapshot', entity })
    }
    const same = async (): Promise<boolean> => sameRecords(world.node(to).disk.get(entity), world.node(from).disk.get(entity))
    const took = await edits.pull(world.node(to).core, entity, theirs, peer, same)
    const log = await pullLog(to, from, entity)
    return { took: took + log.took, fromNewer: log.fromNewer }
  }
  /** Whether each record of a page read from a peer is of the epoch the peer's summary, read
   * before, lists at its seq (partition-pull.ts: otherwise the peer's log changed in between). */
  const listed = (page: readonly StoredRecord[], theirs: LogSummary): boolean => page.every((r) => epochAt(theirs.segments, theirs.head, r.seq) === r.epoch)
  const pullLog = async (to: string, from: string, entity: string): Promise<{ took: number, fromNewer: boolean }> => {
    const toNode = world.node(to)
    const core = toNode.core
    const theirs = await world.call(to, from, { op: 'summary', entity })
    // (the bucket listing carries whom the promise was made to; here it is read off the node)
    const { promisedBy } = await world.node(from).core.state(entity)
    const own = (await core.state(entity)).summary
    const m = matchPoint(theirs, own)
    let took = 0
    const upTo = Math.min(m, own.head, theirs.head)
    const disk = toNode.disk.get(entity)
    for (let seq = floorOf(own); seq <= upTo; seq++) {
      if (disk?.records.has(seq) === true && disk.damaged?.has(seq) !== true) continue
      const [record] = await world.call(to, from, { op: 'read', entity, from: seq, limit: 1 })
      if (record?.seq === seq) took += await core.repair(entity, [record], theirs)
    }
    if (theirs.head > own.head && m >= own.head) {
      const page = await world.call(to, from, { op: 'read', entity, from: own.head + 1, limit: 256 })
      // a record the peer shows but cannot serve (lost or damaged there): not clean
      if (page.length === 0) return { took: took + 1, fromNewer: false }
      // the peer's log changed since its summary (an adoption there): not these records, not clean
      if (!listed(page, theirs)) return { took: took + 1, fromNewer: false }
      // filled, or the log here moved on while it was read (an owner wrote): either way, not clean
      if (page.length > 0) took += await core.fill(entity, own.head, own.headEpoch, page, { epoch: theirs.promised, by: promisedBy }) === 'filled' ? page.length : 1
      return { took, fromNewer: false }
    }
    const fromNewer = m < Math.min(own.head, theirs.head) && compareLogs(theirs, own) < 0
    const matchEpoch = m === 0 ? 0 : epochAt(theirs.segments, theirs.head, m)
    if (fromNewer && theirs.headEpoch > own.headEpoch && matchEpoch !== undefined) {
      // the logs part and the peer's is the newer: this replica's tail after the match was never
      // acknowledged, and gives way to the peer's (ReplicaCore.adopt, anti-entropy's step 5)
      const page = await world.call(to, from, { op: 'read', entity, from: m + 1, limit: 256 })
      if (page.length > 0 && page[0]?.seq === m + 1 && listed(page, theirs)) {
        const done = await core.adopt(entity, m, matchEpoch, theirs.headEpoch, page, { epoch: theirs.promised, by: promisedBy })
        if (done === 'adopted') stats.adopted++
        took += done === 'adopted' ? page.length : 1
        return { took, fromNewer: false }
      }
    }
    return { took, fromNewer }
  }
  /** One pull as a hand-off or a catch-up makes it (pull-until-clean.ts): `to` pulls `entity`
   * from `from`, and an entity whose log on `from` is the one recovery would choose is recovered
   * onto the new set by an owner on `from`. Whether it was clean (nothing taken, nothing recovered);
   * false when either node is down or a call failed. */
  const pullClean = async (to: string, from: string, entity: string, activation: string): Promise<boolean> => {
    if (!world.node(to).up || !world.node(from).up) return false
    try {
      // (a write on a node that crashes never lands, and its pull never ends: given up, not clean)
      const pulled = await Promise.race([pullEntity(to, from, entity), new Promise<undefined>((resolve) => { world.at(PULL_GIVEN_UP_MS, () => { resolve(undefined) }) })])
      if (pulled === undefined) return false
      const { took, fromNewer } = pulled
      if (fromNewer) {
        const next = nextReplicasOf.get(entity) ?? []
        versions?.plan(activation, 2)
        versions?.learn(from, 2)
        const log = await EntityLog.open({ entityId: entity, replicas: next, ...(versions === undefined ? fenceTargets(entity, next) : versionedTargets(entity, 2, from)), ...versioned(from, versions === undefined ? undefined : 2), writeQuorum: W, activation, self: from, env: world.ownerEnv(from), appendTimeoutMs: 1500, ...(lease !== undefined && { lease }) })
        log.close()
      }
      return took === 0 && !fromNewer
    } catch {
      return false
    }
  }

  /** The leaving node hands off (hand-off.ts): its replica retired (no more writes land), each new
   * replica pulls each entity it held until a round takes nothing, entities whose newest log it
   * holds recovered onto the new set by an owner on it; then it is gone for good. */
  const handOff = async (node: string): Promise<void> => {
    for (let round = 0; round < 40; round++) {
      await new Promise<void>((resolve) => { world.at(50 + rnd() * 200, resolve) })
      if (!world.node(node).up) continue
      world.node(node).core.retire(true)
      // (the hand-off runs on the leaving node: a crash of it, a fault's restart included, ends the
      // round, and the node's next life retires its replica again; seed 700026695's round went on
      // across one, its fresh replica taking an owner's writes after the pulls had passed)
      const generation = world.node(node).generation
      let clean = true
      /** When each new replica's last pull of each entity began ("to|entity"). */
      const pulledFrom = new Map<string, number>()
      for (const entity of entities.filter((e) => (replicasOf.get(e) ?? []).includes(node) && options.handOff !== false)) {
        for (const to of nextReplicasOf.get(entity) ?? []) {
          pulledFrom.set(`${to}|${entity}`, world.now)
          if (!await pullClean(to, node, entity, `handoff-${entity}-${round}`)) clean = false
        }
      }
      if (clean && world.node(node).up && world.node(node).generation === generation) {
        // what a hand-off promises: every acknowledged record the node holds is on every new
        // replica of its entity, so the node can go
        for (const entity of entities) {
          for (const [seq, value] of acked.get(entity) ?? []) {
            if (!holds(world.node(node).disk.get(entity), seq, value)) continue
            for (const to of nextReplicasOf.get(entity) ?? []) {
              // (a copy its disk lost after its last pull began, while another new replica holds
              // it, is the disk's fault, found and put back by scrub as any other: seed 179608 lost
              // one 10 ms before the hand-off ended; one lost before that pull, which the pull did not
              // put back, or held by no other new replica, is the hand-off's)
              const lost = lostAt.get(`${to}|${entity}|${seq}|${value}`)
              const elsewhere = (nextReplicasOf.get(entity) ?? []).some((n) => n !== to && holds(world.node(n).disk.get(entity), seq, value))
              if (lost !== undefined && lost >= (pulledFrom.get(`${to}|${entity}`) ?? Infinity) && elsewhere) continue
              if (!holds(world.node(to).disk.get(entity), seq, value) && !trimmedOn(world.node(to).disk.get(entity), seq)) violate(`${entity}: ${node} handed off without ${to} holding acknowledged seq ${seq} (${value})`)
            }
          }
        }
        stats.handedOff++
        say(`${node} handed off every entity it held; decommissioned`)
        world.decommission(node)
        return
      }
    }
    say(`${node} did not finish its hand-off`)
  }
  if (antiEntropy) {
    // anti-entropy passes now and then: one replica of an entity's set pulls it from another
    for (let t = 100; t < duration; t += 50 + rnd() * 250) {
      world.at(t, () => {
        const entity = pick(entities)
        const set = setOf(entity, true).filter((n) => world.node(n).up)
        if (set.length < 2) return
        const to = pick(set)
        const from = pick(set.filter((n) => n !== to))
        pullEntity(to, from, entity).then(({ took }) => { stats.antiEntropy += took }, () => undefined)
      })
    }
  }
  if (leaving !== undefined && !replace) {
    // it starts once the change is made (the schedule above makes it at one time)
    const startHandOff = (): void => { if (changed) void handOff(leaving); else world.at(50, startHandOff) }
    world.at(1, startHandOff)
  }

  /** New replicas (a node in an entity's new set that was not in its old one) are learners until
   * they caught up (catch-up.ts): each pulls every entity it is new for from every other node
   * that is not gone, until a round takes nothing from any of them. Then every record
   * acknowledged before that round must be on it. */
  const learning = new Map<string, string[]>()
  world.onRestart = (n) => { if (learning.has(n.id)) n.core.setLearner(true) }
  /**
   * Settles an entity's hand-off (docs/replication.md, "When a hand-off is settled";
   * node/replication/settle/): (a) version 2 stored on all but fewer than min(W, F) of the old set,
   * then (b) each node of the new set pulls the entity clean from all but fewer than W of the old
   * set, tried again until both hold (bounded); then (c) each node learns it settled at its own
   * time, and its owners fence the new set alone.
   */
  const settleRun = async (entity: string, srnd: () => number): Promise<void> => {
    const old = (replicasOf.get(entity) ?? []).filter((n) => !world.gone.has(n))
    const next = (nextReplicasOf.get(entity) ?? []).filter((n) => !world.gone.has(n))
    // (a node lost for good counts as raised, and is read by no one: partition-settler.ts, settle-replica.ts)
    const lost = lostOf(entity)
    const f = Math.max(Math.floor((old.length + lost) / 2) + 1, old.length + lost - W + 1)
    const wait = async (ms: number): Promise<void> => { await new Promise<void>((resolve) => { world.at(ms, resolve) }) }
    const within = async <T>(p: Promise<T>): Promise<T | undefined> => await Promise.race([p, new Promise<undefined>((resolve) => { world.at(PULL_GIVEN_UP_MS, () => { resolve(undefined) }) })])
    // (half of them soon after the change, before most owners took the entity under version 2)
    await wait(srnd() < 0.5 ? srnd() * 200 : srnd() * duration)
    for (let attempt = 0; attempt < 40; attempt++, await wait(50 + srnd() * 200)) {
      const raised = options.settleFault === 'no-raise' ? [] : await Promise.all(old.map(async (n) => world.node(n).up && (await within(world.node(n).core.versions.raiseTo(0, 2)) ?? 0) >= 2))
      if (raised.filter((ok) => !ok).length >= Math.min(W, f)) continue
      // the leases granted before (a) run out: no owner under version 1 serves reads after the settle
      if (options.settleFault !== 'no-lease-wait') await wait(leaseMs * (1 + 2 * maxDrift) + 1)
      let pulled = true
      for (const to of options.settleFault === 'no-pull' ? [] : next) {
        let clean = 0
        for (const from of old) {
          if (from === to) { clean++; continue }
          for (let round = 0; round < 5; round++) {
            if (await pullClean(to, from, entity, `settle-${entity}-${to}-${attempt}-${round}`)) { clean++; break }
          }
        }
        const unread = old.length - clean
        if (unread > 0 && unread + lost >= W) pulled = false
      }
      if (!pulled) continue
      stats.settled = (stats.settled ?? 0) + 1
      say(`${entity}'s hand-off settled (version 2 stored on the old set, the new set pulled it): nodes learn it at their own times`)
      for (const n of names) {
        const r = srnd()
        world.at(r < 0.5 ? 0 : srnd() * duration, () => { versions?.learnSettled(n, entity) })
      }
      return
    }
  }

  const catchUp = async (node: string): Promise<void> => {
    const mine = learning.get(node) ?? []
    for (let round = 0; round < 400; round++) {
      await new Promise<void>((resolve) => { world.at(50 + rnd() * 200, resolve) })
      if (!world.node(node).up) continue
      const before = new Map([...acked].map(([e, m]) => [e, new Map(m)]))
      let clean = true
      for (const entity of mine) {
        for (const from of names.filter((n) => n !== node && !world.gone.has(n) && options.hollowCatchUp !== true)) {
          if (!await pullClean(node, from, entity, `catch-up-${node}-${entity}-${round}`)) clean = false
        }
      }
      if (!clean || !world.node(node).up) continue
      for (const entity of mine) {
        for (const [seq, value] of before.get(entity) ?? []) {
          const lost = [...lostToFaults].some((k) => k.endsWith(`|${entity}|${seq}|${value}`))
          if (!lost && !holds(world.node(node).disk.get(entity), seq, value) && !trimmedOn(world.node(node).disk.get(entity), seq)) violate(`${entity}: ${node} caught up without acknowledged seq ${seq} (${value})`)
        }
      }
      learning.delete(node)
      world.node(node).core.setLearner(false)
      stats.caughtUp++
      say(`${node} caught up: a full replica of ${mine.join(',')} now`)
      return
    }
    say(`${node} did not finish catching up`)
  }

  let t = 0
  while (t < duration) {
    t += 20 + rnd() * 300
    const roll = rnd()
    if (roll < 0.35) {
      schedule(t, () => { activate(pick(entities), pick(names)) })
    } else if (roll < 0.6) {
      const victim = pick(names)
      const down = 20 + rnd() * 1500
      schedule(t, () => {
        if (!world.node(victim).up) return
        stats.crashes++
        say(`crash ${victim} for ${down.toFixed(0)} ms`)
        world.crash(victim)
        world.at(down, () => { world.restart(victim) })
      })
    } else if (roll < 0.8) {
      const shuffled = shuffle([...names], rnd)
      const cutAt = 1 + Math.floor(rnd() * (names.length - 1))
      const length = 50 + rnd() * 2000
      // silent: no error, messages are simply lost; some only one way (the side cut off hears,
      // and what it sends is lost, or the other way round)
      const oneWay = withOneWay && extra() < 0.4
      schedule(t, () => {
        stats.partitions++
        if (oneWay) stats.oneWayCuts++
        say(`partition ${shuffled.slice(0, cutAt).join(',')} ${oneWay ? '->|' : '|'} ${shuffled.slice(cutAt).join(',')} for ${length.toFixed(0)} ms`)
        world.partition(shuffled.slice(0, cutAt), shuffled.slice(cutAt), oneWay)
        world.at(length, () => { world.heal() })
      })
    } else {
      schedule(t, () => { world.faults.drop = pick([0, 0.01, 0.05, 0.3]) })
    }
  }
  await world.run(duration + 3000)

  // heal everything, then a last owner per entity must recover every acknowledged record
  for (const n of names) world.restart(n)
  world.heal()
  world.faults.drop = 0
  world.faults.crashAfterReply = 0
  if (diskFaults) {
    // scrub passes on every node put back what the disks lost or damaged (what one could not, a
    // slow answer, the next tries again: scrub.ts)
    for (let pass = 0; pass < 3; pass++) {
      for (const n of names) void scrub(n)
      await world.run(world.now + 10_000)
    }
  }
  /** Anti-entropy between every pair of each entity's final replicas, a few rounds. */
  const finalAntiEntropy = async (): Promise<void> => {
    for (let round = 0; round < 3; round++) {
      for (const entity of entities) {
        const set = setOf(entity, true).filter((n) => !world.gone.has(n))
        for (const to of set) for (const from of set.filter((n) => n !== to)) void pullEntity(to, from, entity).catch(() => undefined)
      }
      await world.run(world.now + 10_000)
    }
  }
  // (with edits: before the final owners take the entities too, so that they recover what it fills)
  if (edits.enabled) await finalAntiEntropy()
  // (an activation that began in the run may still be taking the entity, waiting out leases: a
  // final owner it supersedes is opened again)
  const final = new Map<string, { log: EntityLog, records: Array<{ seq: number, event: unknown }> }>()
  for (const entity of entities) {
    let lastErr: unknown
    for (let attempt = 0; attempt < 10 && !final.has(entity); attempt++) {
      const replicas = setOf(entity, true)
      // (on a node that stays: not one leaving, which may still be handing off)
      const self = names.find((n) => !world.gone.has(n) && n !== leaving) as string
      const finalVersion = changed ? 2 : 1
      versions?.plan(`final-${entity}-${attempt}`, finalVersion)
      versions?.learn(self, finalVersion)
      const opening = EntityLog.open({ entityId: entity, replicas, ...(versions === undefined ? fenceTargets(entity, replicas) : versionedTargets(entity, finalVersion, self)), ...versioned(self, versions === undefined ? undefined : finalVersion), writeQuorum: W, activation: `final-${entity}-${attempt}`, self, env: world.ownerEnv(self), appendTimeoutMs: 5000, ...(lease !== undefined && { lease }) })
      let outcome: EntityLog | Error | undefined
      opening.then((l) => { outcome = l }, (err: Error) => { outcome = err })
      await world.run(world.now + 20_000)
      if (!(outcome instanceof EntityLog)) {
        lastErr = outcome
        say(`final open of ${entity}: ${String(outcome)}`)
        continue
      }
      const log = outcome
      await world.run(world.now + 10_000)
      // never await what the world settles: run the world, then look
      // a read that meets a slow answer (the network's delays have a long tail) is tried again, as a
      // client would; only a read that keeps failing is a violation
      let records: Array<{ seq: number, event: unknown }> | undefined
      for (let read = 0; read < 5 && records === undefined && log.failed === undefined; read++) {
        log.read(1, 1_000_000).then((r) => { records = r }, (err: unknown) => { lastErr = err })
        await world.run(world.now + 10_000)
      }
      if (records !== undefined) final.set(entity, { log, records })
      else say(`final read of ${entity}: ${String(lastErr)}`)
    }
    if (!final.has(entity)) violate(`${entity}: no owner could take and read it after healing (all nodes up, no faults): ${String(lastErr)}`)
  }
  if (edits.enabled) {
    // anti-entropy between every pair of the final replicas (rewrites and floors they missed),
    // once the final owners fed them
    await finalAntiEntropy()
  }
  for (const [entity, { log, records }] of final) {
    const map = acked.get(entity) as Map<number, string>
    const seen = new Set<string>()
    const floor = log.floor
    const bySeq = new Map(records.map((r) => [r.seq, r]))
    records.forEach((r, i) => {
      const v = (r.event as { v: string }).v
      if (r.seq !== floor + i) violate(`${entity}: final journal has seq ${r.seq} at position ${floor + i}`)
      if (seen.has(v)) violate(`${entity}: ${v} appears twice`)
      if (!sent.has(v)) violate(`${entity}: ${v} was never sent`)
      seen.add(v)
    })
    if (floor > edits.issued(entity)) violate(`${entity}: final floor ${floor} above any trim asked for`)
    for (const [seq, v] of map) {
      if (seq < floor) continue
      const got = (bySeq.get(seq)?.event as { v?: string } | undefined)?.v
      if (got !== v) violate(`${entity}: acknowledged seq ${seq} = ${v} lost (final journal has ${String(got)} there, head ${log.head})`)
    }
    for (const key of readBack) {
      const [e, seqText, v] = key.split('|') as [string, string, string]
      if (e !== entity || Number(seqText) < floor) continue
      const got = (bySeq.get(Number(seqText))?.event as { v?: string } | undefined)?.v
      if (got !== v) violate(`${entity}: a read returned ${v} at seq ${seqText}, and the final journal has ${String(got)} there`)
    }
    // every replica in step with the owner holds the same journal
    for (const { node, match } of log.replicaMatches()) {
      if (match !== log.head && log.head > 0) {
        violate(`${entity}: replica ${node} at ${match}, not at the head ${log.head}, after healing`)
        continue
      }
      const disk = world.node(node).disk.get(entity)
      // its head as it would load it (the last record: appends within an epoch leave the state)
      // (an owner that recovered an empty journal has written nothing: what an older epoch left on a
      // replica is removed by its first write, and was never acknowledged)
      const beyond = log.head === 0 ? [] : [...(disk?.records.keys() ?? [])].filter((s) => s > log.head)
      if (beyond.length > 0) violate(`${entity}: replica ${node} keeps records past the journal's head ${log.head}: ${beyond.slice(0, 3).join(',')}`)
      const damaged = [...(disk?.damaged ?? [])].filter((s) => s <= log.head)
      if (damaged.length > 0) violate(`${entity}: replica ${node} still holds damaged seq ${damaged.slice(0, 3).join(',')} after scrub`)
      // (from its own floor when higher: anti-entropy may have brought a floor the final owner did
      // not read)
      for (let s = Math.max(floor, disk === undefined ? 1 : floorOf(disk.state.summary)); s <= log.head; s++) {
        const v = (disk?.records.get(s)?.event as { v?: string } | undefined)?.v
        if (v !== (bySeq.get(s)?.event as { v?: string } | undefined)?.v) { violate(`${entity}: replica ${node} differs at seq ${s}`); break }
      }
    }
    edits.checkFinal(entity, floor, records, new Map(log.replicaMatches().map(({ node }) => [node, world.node(node).disk.get(entity)])))
    log.close()
  }
  stats.steps = world.steps
  Object.assign(stats, { leaseBatches: world.leaseBatchesSent, leaseItemsBatched: world.leaseItemsBatched, ...(versions !== undefined && { versionRefusals: world.versionRefusals }) })
  stats.virtualMs = Math.round(world.now)
  stats.rewritten = world.rewritten
  if (edits.enabled) Object.assign(stats, edits.stats)
  return { seed, violations, config, stats }
}

/** Whether two disks hold the same records of an entity, revisions and all, none damaged (what
 * equal entity digests say on a node). */
function sameRecords (a: DiskEntity | undefined, b: DiskEntity | undefined): boolean {
  const ra = a?.records ?? new Map()
  const rb = b?.records ?? new Map()
  if (ra.size !== rb.size || (a?.damaged?.size ?? 0) > 0 || (b?.damaged?.size ?? 0) > 0) return false
  for (const [seq, r] of ra) {
    const o = rb.get(seq)
    if (o === undefined || o.epoch !== r.epoch || (o.rev ?? 0) !== (r.rev ?? 0) || (o.revEpoch ?? o.epoch) !== (r.revEpoch ?? r.epoch) || JSON.stringify(o.event) !== JSON.stringify(r.event)) return false
  }
  return true
}

/** How long a hand-off's or catch-up's pull may take before it is counted as not clean (virtual ms):
 * one whose node crashed during a write never ends. */
const PULL_GIVEN_UP_MS = 5_000

/** Tickets sent twice in a run with reuseTickets (each use hands over again: more would grow without
 * bound). */
const REUSED_TICKETS = 3

function shuffle<T> (xs: T[], rnd: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T]
  }
  return xs
}
