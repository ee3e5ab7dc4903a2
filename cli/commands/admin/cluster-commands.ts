import type { Command } from 'commander'
import type { Member } from '../../../protocols/index.ts'
import { printJson } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { shortPeer } from '../../short-peer.ts'
import type { AdminContext } from './admin-context.ts'
import { printMembers } from './nodes-commands.ts'

/** GET /api/v1/cluster `writes`. */
export interface WritesState {
  available: boolean
  needed: number
  writeQuorum: number
  replicas: number
  storageNodes: number
  storageUp: number
  partitions: number
  unavailablePartitions: number
  down: string[]
}

/** `plexi admin cluster`: this node, every member, and whether writes are available (GET /api/v1/cluster). */
export function clusterCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('cluster'), 'admin')
    .description('this node and every member: peer id, roles, addresses, status, load; then whether writes are available (storage nodes up against the replicas a write needs)')
    .action(withFlags(async (flags: ClientFlags) => {
      const cluster = await (await cx.client(flags)).api.request<{ self: Member, members: Member[], writes?: WritesState }>('GET', '/api/v1/cluster')
      if (flags.json === true) printJson(cx.io, cluster)
      else {
        printMembers(cx.io, cluster.members, cluster.self.peerId)
        if (cluster.writes !== undefined) cx.io.stdout.write(`${writesLine(cluster.writes)}\n`)
      }
    }))
}

/** "writes: available (2 of 2 storage nodes up; a write needs 2)", or what is unavailable and why. */
export function writesLine (w: WritesState): string {
  const counts = `${w.storageUp} of ${w.storageNodes} storage node${w.storageNodes === 1 ? '' : 's'} up; a write needs ${w.needed} of ${w.replicas} replica${w.replicas === 1 ? '' : 's'}`
  if (w.available) return `writes: available (${counts})`
  return `writes: UNAVAILABLE on ${w.unavailablePartitions} of ${w.partitions} partitions (${counts}${w.down.length === 0 ? '' : `; down: ${w.down.map(shortPeer).join(', ')}`}): start the storage nodes that are down`
}
