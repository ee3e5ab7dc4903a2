import { join } from 'node:path'
import { rosterVersionMetrics } from '../metrics/index.ts'
import { ROSTER_STORE_DIR, RosterFollower, RosterReplica, RosterService } from '../replication/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * Roster versions (docs/replication.md, "Roster versions"): a storage node keeps a replica of the
 * roster journal (its own small store), every node its applied versions (in its data dir) and its
 * part in the keeper; the follower catches up (at once when a replica refused an owner here for a
 * newer configuration version), forms version 1 on the node the cluster started with, and has the
 * keeper's node propose what the storage roster changed. Placement follows the versions applied,
 * and owners carry their partitions' configuration versions. A node alone (no cluster key) keeps none.
 */
export const rosterVersionsPart: PartSpec<NodeComponents> = {
  id: 'roster-versions',
  needs: ['config', 'log', 'preflight', 'roles', 'roster', 'rosterHistory', 'rosterChanged', 'partitionVersions', 'journal', 'system', 'membership', 'self', 'metrics'],
  gives: ['rosterVersions'],
  runs: (c: C) => c.get('preflight').clusterKey !== undefined,
  start: async (c: C) => {
    const config = c.get('config')
    const log = c.get('log').child({ component: 'roster' })
    const { identity, capacity } = c.get('preflight')
    const self = identity.peerId
    const system = c.get('system')
    const membership = c.get('membership')
    const storage = c.get('roles').has('storage')
    const history = c.get('rosterHistory')
    const roster = c.get('roster')
    // (a node that takes the storage role later keeps no replica of the journal until it restarts:
    // the journal's set is the storage nodes of a version, and a version names it only after it joined)
    const replica = storage ? await RosterReplica.open(join(config.dataDir, ROSTER_STORE_DIR), { sync: config.journalSync }) : undefined
    const service = new RosterService({
      self,
      system: () => system,
      history,
      ...(replica !== undefined && { replica }),
      live: () => new Set([self, ...membership.live()]),
      configs: () => roster.configs?.at,
      log
    })
    replica?.spawn(system)
    service.spawn(system)
    const journal = c.get('journal')
    const configs = roster.configs
    const follower = new RosterFollower({
      self,
      service,
      history,
      // what this node hears of the storage roster: the keeper's node proposes what differs
      roster: roster.wish(),
      members: () => membership.members(),
      // the node a cluster started with (no join list), once settled: a node joining never forms.
      // Nor does one that finds its members by mDNS: every node of such a cluster starts without a
      // join list, each would form a version 1 of its own, and forks refuse each other for good
      // (such a cluster places by the roster as heard, as before versions)
      forms: () => storage && config.join.length === 0 && !config.mdns && membership.settled(),
      capacity,
      // (configuration versions taken from a member move open journals to them)
      ...(configs !== undefined && {
        configs: {
          get version () { return configs.version },
          adopt: (value: unknown, latest: number | undefined) => {
            const took = configs.adopt(value, latest)
            if (took) journal.rosterChanged()
            return took
          }
        }
      }),
      log
    })
    // a replica that refused an owner here for a newer configuration version: catch up now
    c.get('partitionVersions')?.onNewer((version) => { follower.heard(version) })
    const rosterChanged = c.get('rosterChanged')
    // placement follows each version applied here (storePart followed the one kept at start); open
    // journals follow the partitions' configuration versions too, whether or not placement moved
    const unapplied = history.onApplied((v) => {
      if (roster.follow(v)) rosterChanged()
      else journal.rosterChanged()
      membership.announce()
    })
    c.get('self').bindRosterVersion(() => history.latest?.version)
    rosterVersionMetrics(c.get('metrics').registry, { latest: () => history.latest?.version, stats: follower.stats, configsAt: () => roster.configs?.version })
    follower.start()
    c.provide('rosterVersions', { service, follower }, 'roster-versions')
    return {
      stop: async () => {
        await follower.stop()
        unapplied()
        service.close()
        await replica?.close()
      }
    }
  }
}
