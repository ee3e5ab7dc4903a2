import { settleMetrics } from '../metrics/index.ts'
import { PartitionSettler, REPLICA_ASK_MS, SETTLE_PATH, SettleReplica } from '../replication/index.ts'
import type { PartComponents } from './components.ts'
import { takeOverWith } from './storage-parts.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/** Added to the lease a settle waits out (timers fire late, never early). */
const LEASE_MARGIN_MS = 50
/** How long the keeper's node waits for a replica's settle pull (a partition's whole catch-up). */
const SETTLE_PULL_MS = 120_000

/**
 * Settling hand-offs (docs/replication.md, "When a hand-off is settled"), on a storage node of a
 * cluster: it answers the settle's steps at SETTLE_PATH (a configuration version stored, a
 * partition pulled from its earlier sets), and, while the roster's keeper is on this node, settles
 * the partitions whose earlier sets its roster names and records them in a roster version.
 */
export const settlePart: PartSpec<NodeComponents> = {
  id: 'settle',
  needs: ['config', 'log', 'preflight', 'roles', 'roster', 'rosterHistory', 'journal', 'system', 'membership', 'repairs', 'rosterVersions', 'metrics'],
  gives: ['settler'],
  runs: (c: C) => c.get('preflight').clusterKey !== undefined && c.get('roles').has('storage') && c.get('rosterVersions') !== undefined,
  start: (c: C) => {
    const config = c.get('config')
    const self = c.get('preflight').identity.peerId
    const roster = c.get('roster')
    const journal = c.get('journal')
    const system = c.get('system')
    const membership = c.get('membership')
    const repairs = c.get('repairs')
    const { service } = c.get('rosterVersions') as NonNullable<NodeComponents['rosterVersions']>
    const live = (): ReadonlySet<string> => new Set([self, ...membership.live()])
    const known = (): ReadonlySet<string> => new Set(roster.known().map((c) => c.peerId))
    const replaced = (peerId: string): boolean => roster.isReplaced(peerId)
    const configs = (): PartitionConfigsView | undefined => roster.configs
    const replica = new SettleReplica({
      self,
      journal,
      configs,
      followed: () => roster.version,
      pull: takeOverWith(repairs),
      live,
      known,
      replaced,
      configuredWriteQuorum: config.writeQuorum
    })
    replica.spawn(system)
    const settler = new PartitionSettler({
      self,
      partitions: journal.partitions,
      keeperNode: () => service.keeperNode(),
      configs,
      followed: () => roster.version,
      placement: (partition) => journal.placement(partition),
      live,
      known,
      replaced,
      ask: async (node, msg) => node === self
        ? await replica.serve(msg)
        : await system.actorAt({ node, path: SETTLE_PATH }).ask((replyTo) => ({ ...msg, replyTo }), { timeout: msg.type === 'pull' ? SETTLE_PULL_MS : REPLICA_ASK_MS * 3 }),
      // (a member's record says the latest roster version it applied; one that says none has
      // applied none yet, or runs a version that does not say: waited on as behind, for a while)
      behind: (version) => membership.members().filter((m) => m.status !== 'down' && (m.rosterVersion ?? 0) < version).map((m) => m.peerId),
      propose: async (change) => await service.propose(change),
      configuredWriteQuorum: config.writeQuorum,
      // (an owner counts its lease as lease-ms less the drift on its own clock, from before the
      // grant: this long on this node's clock outlasts any granted before step (a))
      leaseWaitMs: Math.ceil(config.leaseMs * (1 + 2 * config.maxClockDrift)) + LEASE_MARGIN_MS,
      log: c.get('log').child({ component: 'settle' })
    })
    settleMetrics(c.get('metrics').registry, {
      stats: settler.stats,
      unsettled: () => {
        const at = roster.configs?.at
        return at?.earlier === undefined ? undefined : at.earlier.filter((sets) => sets.length > 0).length
      }
    })
    settler.start()
    // a version that moved partitions is settled at once, not at the next step: until then their
    // owners fence the earlier sets too (and a node of one lost holds their takes back)
    const unapplied = c.get('rosterHistory').onApplied((v) => { if (v.change.kind !== 'settle') void settler.trigger() })
    c.provide('settler', settler, 'settle')
    return {
      stop: async () => {
        unapplied()
        await settler.stop()
      }
    }
  }
}

type PartitionConfigsView = NonNullable<NodeComponents['roster']['configs']>
