/**
 * Replication (docs/replication.md): the folder's one public face. Inside, by concern:
 * journal/ (the quorum journal: an owner's fence, recovery, appends, lease and hand-over, the
 * node's journal over the partitions, the write quorum), replica/ (a replica's side: promises,
 * leases granted, records on LevelDB, shard holders), repair/ (anti-entropy, Merkle trees, scrub),
 * roster/ (the storage roster, partition hand-off, catch-up) and admin/ (the inspector, repairs as
 * jobs, the partitions listing).
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './lease-errors.ts'
export { partitionOf, replicasOf } from './partitioning.ts'

// journal/: the owner's side of an entity's journal, and the node's journal
export { EntityLog } from './journal/entity-log.ts'
export type { EntityLogOptions, OlderSet } from './journal/entity-log-options.ts'
export type { OwnerEnv } from './journal/owner-env.ts'
export type { LeaseOptions } from './journal/owner-lease.ts'
export { checkLogTicket } from './journal/log-ticket.ts'
export type { LogTicket } from './journal/log-ticket.ts'
export { EMPTY_SUMMARY, NO_GENERATION, compareLogs, epochAt, floorOf, genAfter, latestGen, matchPoint, revisedOf, sentOf, withRecords } from './journal/log-summary.ts'
export type { Generation, LogSummary, Segment } from './journal/log-summary.ts'
export { fenceQuorum, majority } from './journal/quorum.ts'
export { ReplicatedJournal } from './journal/replicated-journal.ts'
export type { PartitionPlacement, ReplicatedJournalOptions, ReplicationStats } from './journal/replicated-journal.ts'
export { meshJournal } from './journal/mesh-journal.ts'
export type { MeshJournalOptions } from './journal/mesh-journal.ts'
export { openLocalJournal } from './journal/local-journal.ts'
export { WriteQuorum } from './journal/write-quorum.ts'
export type { QuorumLoss, WriteQuorumOptions, WriteQuorumState } from './journal/write-quorum.ts'
export { QuorumGatedJournal } from './journal/quorum-gated-journal.ts'

// replica/: a replica's side
export { ReplicaCore } from './replica/replica-core.ts'
export type { ReplicaCoreOptions, ReplicaCoreStats } from './replica/replica-core.ts'
export type { ReplicaChange, ReplicaState, ReplicaStorage } from './replica/replica-storage.ts'
export { checkReplicaReply, checkReplicaRequest, isEntityId, laterRevision } from './replica/replica-protocol.ts'
export type { AppendReply, FenceReply, LeaseReply, ReplicaRequest, ReplyOf, RewriteReply, SaveSnapshotReply, StoredRecord, StoredSnapshot, TrimReply } from './replica/replica-protocol.ts'
export { LevelReplicaStorage } from './replica/level-replica-storage.ts'
export type { PartitionStats } from './replica/replica-storage.ts'
export type { LandedChange, LandedListener } from './replica/replica-storage.ts'
export { describeKey, recordEnd, recordKey, snapshotKey, stateKey } from './replica/replica-keys.ts'
export { ReplicaValues } from './replica/replica-values.ts'
export { SealedRecord, frameStored, sealedRecord, sealedRecords, storedRecordEpoch, unframeStored } from './replica/stored-records.ts'
export { checkPartitionRequest, shardHolder, shardHolderPath } from './replica/shard-holder.ts'
export { REPLICA_BATCH_PATH, checkReplicaBatch, checkReplicaBatchReply, replicaBatchHolder } from './replica/replica-batch.ts'
export type { BatchItem, BatchItemOutcome, BatchItemReply, LeaseRequest, ReplicaBatchMsg } from './replica/replica-batch.ts'
export { LeaseBatches } from './journal/lease-batches.ts'
export type { LeaseBatchesOptions } from './journal/lease-batches.ts'
export type { PartitionRequest, ShardHolderMsg } from './replica/shard-holder.ts'
export { spawnShardHolders } from './replica/shard-holders.ts'

// repair/: anti-entropy, Merkle trees, scrub
export { AntiEntropy } from './repair/anti-entropy.ts'
export type { AntiEntropyOptions, AntiEntropyStats, PartitionRepairState, RepairResult } from './repair/anti-entropy.ts'
export { pullFrom } from './repair/partition-pull.ts'
export type { PassBudget, PassResult } from './repair/partition-pull.ts'
export { replicaPeer } from './repair/partition-peer.ts'
export type { BucketEntry, EntitySummary, PartitionPeer } from './repair/partition-peer.ts'
export { checkEntityPage, meshPeer } from './repair/mesh-peer.ts'
export { DEFAULT_MERKLE_DEPTH, MerkleTree, bucketOf, diffLeaves } from './repair/merkle-tree.ts'
export type { LevelReader } from './repair/merkle-tree.ts'
export { Scrubber } from './repair/scrub.ts'
export type { ScrubOptions, ScrubStats } from './repair/scrub.ts'

// roster/: roster changes
export { StorageRoster } from './roster/storage-roster.ts'
export { RosterPartitionVersions } from './roster/roster-partition-versions.ts'
export type { RosterMember, RosterPlacement } from './roster/storage-roster.ts'
export { FormerHolders } from './roster/former-holders.ts'
export { MAX_EARLIER_SETS, PartitionConfigs, checkConfigsAt, earlierWriteQuorum } from './roster/partition-configs.ts'
export type { ConfigsAt, EarlierSet } from './roster/partition-configs.ts'
export * from './settle/index.ts'
export { PartitionHandOff } from './roster/partition-hand-off.ts'
export type { PartitionHandOffOptions, PartitionHandOffStatus } from './roster/partition-hand-off.ts'
export type { TakeOverResult } from './roster/pull-until-clean.ts'
export { CatchUp } from './roster/catch-up.ts'
export type { CatchUpOptions, CatchUpRoster, CatchUpStatus } from './roster/catch-up.ts'

// admin/: what admins see and start
export { REPLICATION_PATH, replicationInspector } from './admin/replication-inspector.ts'
export type { RepairParts, ReplicationMsg } from './admin/replication-inspector.ts'
export { ReplicationAdmin } from './admin/replication-admin.ts'
export type { ReplicationAdminOptions } from './admin/replication-admin.ts'
export { RepairJobs } from './admin/repair-jobs.ts'
export { checkCatchUp, checkHandOffStatus, checkTakeOverResult } from './admin/inspector-replies.ts'

export { MAX_SETTLED, MAX_VERSION_MEMBERS, applyChange, checkRosterChange, checkRosterVersion, firstVersion, journalQuorum, journalSet, sameVersion } from './roster-journal/roster-entry.ts'
export type { RosterChange, RosterVersion, VersionMember } from './roster-journal/roster-entry.ts'
export { ROSTER_ENTITY, RosterKeeper } from './roster-journal/roster-keeper.ts'
export type { Proposal, RosterKeeperOptions } from './roster-journal/roster-keeper.ts'
export { RosterHistory } from './roster-journal/roster-history.ts'
export type { Applied } from './roster-journal/roster-history.ts'
export { ROSTER_REPLICA_PATH, ROSTER_STORE_DIR, RosterReplica, checkRosterReplicaMsg, rosterEnv, rosterReplicaHolder } from './roster-journal/roster-replica.ts'
export type { RosterReplicaMsg } from './roster-journal/roster-replica.ts'
export { NotRosterKeeperError, ROSTER_KEEPER_PATH, RosterService, VERSIONS_PAGE, checkProposal, checkRosterKeeperMsg, rosterKeeperActor } from './roster-journal/roster-service.ts'
export type { RosterKeeperMsg, RosterServiceOptions } from './roster-journal/roster-service.ts'
export { ROSTER_FOLLOW_MS, RosterFollower, formingMembers, nextChange } from './roster-journal/roster-follow.ts'
export type { FollowedRoster, RosterFollowStats, RosterFollowerOptions, VersionedMember } from './roster-journal/roster-follow.ts'
