import { join } from 'node:path'
import { ConfigError } from '../../config/index.ts'
import { STORE_DIR } from '../constants.ts'
import { bootstrapModels } from '../inference/index.ts'
import { Jobs } from '../jobs/index.ts'
import { NodeMetrics, jobMetrics, replicaMetrics } from '../metrics/index.ts'
import { CatchUp, LevelReplicaStorage, PartitionsMismatchError, RosterHistory, RosterPartitionVersions, StorageRoster, WriteQuorum, NARROW_FENCES, meshJournal } from '../replication/index.ts'
import { LevelStore } from '../storage/index.ts'
import type { TakeOverResult } from '../replication/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>
const NOTHING_TO_STOP = { stop: () => undefined }

/** The node's LevelDB, its replicas of the partitions and the storage roster, following the
 * roster version this node applied last (in a cluster). After the store: a data dir held by another
 * node fails first, having changed nothing. */
export const storePart: PartSpec<NodeComponents> = {
  id: 'store',
  needs: ['config', 'log', 'preflight', 'roles'],
  gives: ['store', 'replicas', 'roster', 'rosterHistory'],
  start: async (c: C) => {
    const config = c.get('config')
    const { identity, capacity } = c.get('preflight')
    const store = await LevelStore.open(join(config.dataDir, STORE_DIR), { sync: config.journalSync, writeBufferBytes: config.storeWriteBuffer * 1024 * 1024 })
    try {
      const replicas = await LevelReplicaStorage.open(store, config.partitions, c.get('log').child({ component: 'replication' })).catch((err: unknown) => {
        throw err instanceof PartitionsMismatchError ? new ConfigError('partitions', err.message) : err
      })
      // (it records each partition's former holders as the journal places them: docs/replication.md;
      // a data dir an older version kept records in knows none)
      const holdsRecords = Array.from({ length: replicas.partitions }, (_, p) => p).some((p) => replicas.tree(p).records > 0)
      const roster = await StorageRoster.open(store, { peerId: identity.peerId, roles: c.get('roles').current, capacity }, c.get('log'), { partitions: replicas.partitions, replicationFactor: config.replicationFactor, holdsRecords })
      // (placement follows the roster versions from the first, before any owner plans a take)
      const history = await RosterHistory.open(store, c.get('log').child({ component: 'roster' }))
      // (both versions kept, in order: the partitions' configuration versions are worked out from
      // the one before when a stop came between the two writes)
      if (c.get('preflight').clusterKey !== undefined) for (const v of history.applied) roster.follow(v)
      c.provide('store', store, 'store')
      c.provide('replicas', replicas, 'store')
      c.provide('roster', roster, 'store')
      c.provide('rosterHistory', history, 'store')
    } catch (err) {
      await store.close()
      throw err
    }
    return { stop: async () => { await store.close() } }
  }
}

/** The models this node can run (a node with the ai role and none generates the tiny one). */
export const modelRegistryPart: PartSpec<NodeComponents> = {
  id: 'model-registry',
  needs: ['config', 'log', 'roles'],
  gives: ['models'],
  start: async (c: C) => {
    const models = await bootstrapModels(c.get('config'), c.get('roles').has('ai'), c.get('log'))
    // the read routes list the dir again only after its watch saw a change (or 10 s passed)
    const unwatch = await models.watch()
    c.provide('models', models, 'model-registry')
    return { stop: unwatch }
  }
}

/** The node's Prometheus metrics, and its jobs: long operations with progress (repairs, drains,
 * migrations), listed and cancelled from any member. */
export const metricsPart: PartSpec<NodeComponents> = {
  id: 'metrics',
  needs: ['store', 'preflight', 'serviceFailures'],
  gives: ['metrics', 'jobs'],
  start: (c: C) => {
    const metrics = new NodeMetrics(c.get('store'), { failures: c.get('serviceFailures') })
    const jobs = new Jobs({ node: c.get('preflight').identity.peerId })
    jobMetrics(metrics.registry, jobs)
    c.provide('metrics', metrics, 'metrics')
    c.provide('jobs', jobs, 'metrics')
    return NOTHING_TO_STOP
  }
}

/**
 * An entity's journal lives on the replicas of its partition: this node's own are reached
 * directly, the others' shard holders through the mesh (the kernel port). Whether each partition
 * has the replicas up that its writes need is judged beside it (the write quorum, started once
 * the node is ready).
 */
export const journalPart: PartSpec<NodeComponents> = {
  id: 'journal',
  needs: ['config', 'log', 'preflight', 'replicas', 'roster', 'membership', 'kernel', 'metrics', 'repairs', 'serviceFailures', 'tracing'],
  gives: ['journal', 'writeQuorum', 'rosterChanged', 'partitionVersions'],
  start: (c: C) => {
    const config = c.get('config')
    const log = c.get('log')
    const { identity, capacity, clusterKey } = c.get('preflight')
    const replicas = c.get('replicas')
    const roster = c.get('roster')
    const membership = c.get('membership')
    const kernel = c.get('kernel')
    // owners carry their partition's configuration version (docs/replication.md, "Roster
    // versions"); a node alone follows no versions and carries none
    const partitionVersions = clusterKey === undefined ? undefined : new RosterPartitionVersions(roster)
    const journal = meshJournal({
      self: identity.peerId,
      storage: replicas,
      // a node alone (no cluster key) keeps its journals itself, whatever its roles: roles divide
      // the work of a cluster, and there is no one else
      roster: clusterKey === undefined ? () => [{ peerId: identity.peerId, roles: ['storage'], capacity }] : () => roster.placement(config.replicationFactor),
      known: () => roster.known(),
      holdsNothing: (peerId) => roster.isReplaced(peerId) || roster.isLeaving(peerId),
      replaced: (peerId) => roster.isReplaced(peerId),
      // activations fence the replicas and the former holders, not every storage node, once
      // NARROW_FENCES is on (off: every storage node, see there)
      ...(NARROW_FENCES ? { formerHolders: (partition: number) => roster.formerHolders(partition) } : {}),
      settled: (partition, released) => { roster.settled(partition, released) },
      live: () => membership.live(),
      replicationFactor: config.replicationFactor,
      ...(config.writeQuorum !== undefined && { writeQuorum: config.writeQuorum }),
      // owners' leases (docs/replication.md, "Leases"): a node alone has its replicas in-process
      ...(clusterKey !== undefined && { lease: { ms: config.leaseMs, maxDrift: config.maxClockDrift } }),
      stats: c.get('metrics').replication,
      system: () => kernel.system(),
      log: log.child({ component: 'replication' }),
      spans: c.get('tracing').spans,
      ...(partitionVersions !== undefined && { versions: partitionVersions }),
      versionedFences: config.versionedFences
    })
    // said once per change in the log, refused at once by the entities' journals (never a
    // deadline), shown to admins
    const writeQuorum = new WriteQuorum({
      self: identity.peerId,
      partitions: journal.partitions,
      placement: (partition) => journal.placement(partition),
      partitionOf: (entity) => replicas.partitionOf(entity),
      live: () => membership.live(),
      log: log.child({ component: 'replication' }),
      failures: c.get('serviceFailures'),
      fixedRoster: clusterKey === undefined
    })
    const repairs = c.get('repairs')
    const rosterChanged = (): void => {
      const moved = journal.rosterChanged()
      repairs.handOff?.rosterChanged()
      if (moved > 0) log.info({ moved, storageNodes: roster.candidates().length }, `the storage roster has ${roster.candidates().length} nodes now: ${moved} open journals write to their partitions' new replicas`)
    }
    replicaMetrics(c.get('metrics').registry, journal)
    c.provide('journal', journal, 'journal')
    c.provide('writeQuorum', writeQuorum, 'journal')
    c.provide('rosterChanged', rosterChanged, 'journal')
    c.provide('partitionVersions', partitionVersions, 'journal')
    return NOTHING_TO_STOP
  }
}

/** A pull of a whole partition from another node (anti-entropy's take-over, without a budget), as a
 * catch-up and a settle make it; it fails until anti-entropy runs. */
export function takeOverWith (repairs: NodeComponents['repairs']): (partition: number, from: string) => Promise<TakeOverResult> {
  return async (partition, from) => {
    const ae = repairs.antiEntropy
    if (ae === undefined) throw new Error('anti-entropy is not running yet')
    return await ae.takeOver(partition, from)
  }
}

/**
 * A new replica of a partition counts as a full one only once it caught up (a learner until then,
 * marked before any owner asks, so read at start), and a storage node down past
 * replica-replace-after is replaced. Its loop starts later, with the repair parts.
 */
export const catchUpStatePart: PartSpec<NodeComponents> = {
  id: 'catch-up-state',
  needs: ['config', 'log', 'preflight', 'journal', 'store', 'roster', 'membership', 'repairs', 'rosterChanged', 'serviceFailures'],
  gives: ['catchUp'],
  start: async (c: C) => {
    const config = c.get('config')
    const repairs = c.get('repairs')
    const membership = c.get('membership')
    const catchUp = await CatchUp.open({
      self: c.get('preflight').identity.peerId,
      journal: c.get('journal'),
      store: c.get('store'),
      roster: c.get('roster'),
      cluster: c.get('preflight').clusterKey !== undefined,
      members: () => membership.members(),
      pull: takeOverWith(repairs),
      replaceAfterMs: config.replicaReplaceAfter,
      replicationFactor: config.replicationFactor,
      onRosterChanged: c.get('rosterChanged'),
      failures: c.get('serviceFailures'),
      log: c.get('log').child({ component: 'catch-up' })
    })
    c.provide('catchUp', catchUp, 'catch-up-state')
    return NOTHING_TO_STOP
  }
}
