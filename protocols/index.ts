/**
 * What every wire shares, light enough for any folder to import (the kernel, the runtimes' worker
 * threads, the CLI): name rules, request limits, the error vocabulary, the admin HTTP schemas.
 * The gRPC services are in grpc/ (it loads grpc-js), the peer protocol in p2p/.
 */
export { USER_NAME_PATTERN, USER_NAME_RULE, ROOM_NAME_PATTERN, ROOM_NAME_RULE, isUserName, isRoomName } from './names.ts'
export * from './limits.ts'
export * from './errors.ts'
export * as adminSchemas from './admin/index.ts'
export * from './plugins/index.ts'
export type { Job, JobKind, JobState, Member, PartitionRow, RepairJob, ReplicaRow, ScrubRow, StorageNodeRow } from './admin/index.ts'
export * from './transfer/index.ts'
export { MAX_TRACESTATE_LENGTH, TRACEPARENT_LENGTH, carrierOfField, isTraceparent, isTracestate, traceFieldOf } from './trace-context.ts'
export type { TraceCarrier, TraceField } from './trace-context.ts'
