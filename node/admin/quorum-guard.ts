import { WriteQuorumLossError } from './errors.ts'

/** What the admin API reads of the write quorum (node/replication WriteQuorum). */
export interface WriteQuorumView {
  state (): {
    readonly available: boolean
    readonly needed: number
    readonly writeQuorum: number
    readonly replicas: number
    readonly storageNodes: number
    readonly storageUp: number
    readonly partitions: number
    readonly unavailablePartitions: number
    readonly down: readonly string[]
  }
  lossIfDown (peer: string): QuorumLossView | undefined
  lossIfLeaves (peer: string): QuorumLossView | undefined
}

export interface QuorumLossView {
  readonly partitions: number
  readonly up: number
  readonly needed: number
}

/** An admin change of a member that may cost the write quorum. */
export type MemberChange = 'drain' | 'decommission' | 'drop-storage'

/**
 * Refuses (WriteQuorumLossError, 409) a drain, decommission or removal of the storage role that
 * would leave fewer storage nodes up than a write needs (docs/operations.md, "Quorum loss"), saying
 * what would stop and what to do; with `force`, lets it through and answers why it was refused,
 * for the audit trail. Undefined: nothing is lost.
 */
export function checkQuorumLoss (quorum: WriteQuorumView | undefined, peer: string, change: MemberChange, force: boolean): string | undefined {
  const loss = quorum === undefined ? undefined : change === 'drain' ? quorum.lossIfDown(peer) : quorum.lossIfLeaves(peer)
  if (loss === undefined || quorum === undefined) return undefined
  const { partitions } = quorum.state()
  const what = change === 'drain'
    ? `draining ${peer} would stop writes on ${loss.partitions} of ${partitions} partitions (${loss.up} of the ${loss.needed} replica${loss.needed === 1 ? '' : 's'} a write needs would be up) until it is back`
    : `${change === 'decommission' ? `decommissioning ${peer}` : `taking the storage role from ${peer}`} would leave ${loss.up} storage node${loss.up === 1 ? '' : 's'} up, and a write needs ${loss.needed}: writes would stop on every partition once it has handed its partitions off`
  if (force) return `forced despite the write quorum: ${what}`
  const verb = change === 'drain' ? 'drain it' : change === 'decommission' ? 'decommission it' : 'change its roles'
  throw new WriteQuorumLossError(`${what}. Start another storage node first, or ${verb} anyway with --force (HTTP: "force": true)`, loss.up, loss.needed)
}
