/**
 * Settling hand-offs (docs/replication.md, "When a hand-off is settled"): the keeper's node drives
 * it (PartitionSettler), every storage node answers its steps (SettleReplica at SETTLE_PATH).
 */
export { PartitionSettler, SETTLE_APPLY_WAIT_MS, SETTLE_CHECK_MS } from './partition-settler.ts'
export type { PartitionSettlerOptions, SettleStats } from './partition-settler.ts'
export { SettleReplica } from './settle-replica.ts'
export type { SettleConfigs, SettleReplicaOptions } from './settle-replica.ts'
export { SETTLE_PATH, SettleNotReadyError, checkPulled, checkRaised, checkSettleMsg } from './settle-protocol.ts'
export type { SettleMsg } from './settle-protocol.ts'
