import { MODEL_COPY_PATH } from '../model-pull/index.ts'
import { CHUNK_HOLDER_PATH, RESTORE_HOLD_PATH } from '../backup/index.ts'
import { STORE_COMPACTION_PATH } from '../erasure/index.ts'
import { CHAT_GATEWAY_PATH } from '../grpc/index.ts'
import { AGENT_GATEWAY_PATH, INFERENCE_PATH, INFERENCE_RELAY_PATH, KV_CACHE_PATH } from '../inference/index.ts'
import { INSPECTOR_PATH, ROLE_MANAGER_PATH } from '../mesh/index.ts'
import { MIGRATION_PATH } from '../migration/index.ts'
import { PLUGINS_PATH } from '../plugins/index.ts'
import { PLUGIN_REGISTRY_PATH } from '../plugin-registry/index.ts'
import { REPLICATION_PATH, REPLICA_BATCH_PATH, shardHolderPath } from '../replication/index.ts'
import { SEARCH_PATH } from '../search/index.ts'

/** One system actor: where every node runs it, the version of the messages it speaks, the file
 * that holds its protocol, and the part of the node that spawns it. */
export interface SystemActor {
  /** Its path (for the shard holders, partition 0's: one per partition, `/shard-<p>`). */
  readonly path: string
  readonly version: number
  readonly protocol: string
  readonly part: string
}

/**
 * Every system actor a node runs, in one list: the paths stay beside their protocol files (each
 * made by systemPath with its version) and are collected here, where a spec proves them unique
 * and equal to what a running node spawns. A path a node reaches on another (`{ node, path }`) is
 * a wire address: a change of its messages is a new version, hence a new path.
 */
export const SYSTEM_ACTORS: readonly SystemActor[] = [
  { path: REPLICATION_PATH, version: 1, protocol: 'node/replication/admin/replication-inspector.ts', part: 'actors' },
  { path: shardHolderPath(0), version: 1, protocol: 'node/replication/replica/shard-holder.ts', part: 'actors' },
  { path: REPLICA_BATCH_PATH, version: 1, protocol: 'node/replication/replica/replica-batch.ts', part: 'actors' },
  { path: KV_CACHE_PATH, version: 1, protocol: 'node/inference/kv-cache-transfer.ts', part: 'inference' },
  { path: MODEL_COPY_PATH, version: 1, protocol: 'node/model-pull/model-copy.ts', part: 'model-pull' },
  { path: INFERENCE_PATH, version: 1, protocol: 'node/inference/warm-forwarding.ts', part: 'inference' },
  { path: INFERENCE_RELAY_PATH, version: 1, protocol: 'node/inference/warm-forwarding.ts', part: 'inference' },
  { path: CHAT_GATEWAY_PATH, version: 1, protocol: 'node/grpc/chat-gateway.ts', part: 'entities' },
  { path: AGENT_GATEWAY_PATH, version: 1, protocol: 'node/inference/agent-gateway.ts', part: 'entities' },
  { path: ROLE_MANAGER_PATH, version: 1, protocol: 'node/mesh/role-manager.ts', part: 'mesh' },
  { path: INSPECTOR_PATH, version: 1, protocol: 'node/mesh/node-inspector.ts', part: 'mesh' },
  { path: SEARCH_PATH, version: 1, protocol: 'node/search/search-actor.ts', part: 'search' },
  { path: PLUGINS_PATH, version: 1, protocol: 'node/plugins/plugins-actor.ts', part: 'plugins' },
  { path: PLUGIN_REGISTRY_PATH, version: 1, protocol: 'node/plugin-registry/registry-actor.ts', part: 'plugin-registry' },
  { path: MIGRATION_PATH, version: 1, protocol: 'node/migration/migration-protocol.ts', part: 'leave' },
  { path: CHUNK_HOLDER_PATH, version: 1, protocol: 'node/backup/chunk-holder.ts', part: 'backup-chunks' },
  { path: RESTORE_HOLD_PATH, version: 1, protocol: 'node/backup/restore-hold.ts', part: 'backup-schedule' },
  { path: STORE_COMPACTION_PATH, version: 1, protocol: 'node/erasure/store-compaction.ts', part: 'erasure' }
]

/** The system actor `path` is one of (a shard holder of any partition counts as partition 0's),
 * or undefined. */
export function systemActorAt (path: string): SystemActor | undefined {
  const shard = /^\/shard-\d+$/.test(path) ? shardHolderPath(0) : path
  return SYSTEM_ACTORS.find((a) => a.path === shard)
}
