import { CONFIG_SCHEMA } from '../../config/index.ts'
import type { KeySpec } from '../../config/index.ts'

/**
 * How `plexi node start --help` and `plexi config print --help` group the configuration keys: what
 * a new node needs first, then one heading per area. Every key of CONFIG_SCHEMA is in exactly one
 * group (a spec checks it: a key added without a group fails it).
 */
export const CONFIG_HELP_GROUPS: ReadonlyArray<readonly [heading: string, keys: readonly string[]]> = [
  ['Start here:', ['role', 'data-dir', 'grpc-listen', 'admin-listen', 'web-listen', 'log-level']],
  ['Cluster (nodes find each other with a cluster key):', ['cluster-key-file', 'p2p-listen', 'join', 'mdns', 'failure-timeout', 'capacity', 'partitions', 'lease-ms', 'max-clock-drift', 'migration-timeout', 'migration-concurrency', 'shutdown-timeout']],
  ['Storage and replication:', ['replication-factor', 'write-quorum', 'journal-sync', 'store-write-buffer', 'anti-entropy-interval', 'anti-entropy-records', 'anti-entropy-mib', 'scrub-interval', 'scrub-rate', 'replica-replace-after', 'versioned-fences']],
  ['Backups and retention:', ['backup-key-file', 'backup-copies', 'backup-schedule', 'backup-audit-interval', 'backup-keep-last', 'backup-keep-daily', 'backup-keep-weekly', 'retention-days', 'retention-schedule', 'retention-posts']],
  ['Models, inference and agents (the ai role):', ['models-dir', 'default-model', 'model-hub', 'gpu', 'models-memory', 'context-size', 'inference-workers', 'inference-contexts', 'inference-threads', 'inference-batching', 'inference-cached-sequences', 'kv-cache-disk', 'inference-queue', 'agent-max-tokens', 'agent-requests-per-min', 'agent-tokens-per-min', 'openai-listen']],
  ['Chat, search and client limits:', ['max-message-bytes', 'chat-rate', 'chat-burst', 'stream-buffer', 'search', 'search-embedding-model', 'user-rate', 'user-burst', 'ip-rate', 'ip-burst', 'streams-per-ip', 'auth-failures-per-min', 'trusted-proxies', 'web-cors-origin', 'web-advertise']],
  ['Security:', ['admin-token', 'metrics-token', 'tls-cert', 'tls-key']],
  ['Memory (the node process):', ['max-semi-space-size']],
  ['Tracing (OpenTelemetry, off by default):', ['otlp-endpoint', 'trace-sample']]
]

const HEADING_OF = new Map(CONFIG_HELP_GROUPS.flatMap(([heading, keys]) => keys.map((k) => [k, heading] as const)))

/** The help heading of a configuration key ('Other:' for one no group names, which a spec refuses). */
export function helpGroupOf (key: string): string {
  return HEADING_OF.get(key) ?? 'Other:'
}

/** CONFIG_SCHEMA's keys in the groups' order (any in no group last). */
export function configKeysInHelpOrder (): KeySpec[] {
  const rank = new Map(CONFIG_HELP_GROUPS.flatMap(([, keys]) => keys).map((k, i) => [k, i]))
  return [...CONFIG_SCHEMA].sort((a, b) => (rank.get(a.key) ?? rank.size) - (rank.get(b.key) ?? rank.size))
}

/** Keys of CONFIG_SCHEMA in no group, and keys named by a group that the schema does not have. */
export function ungroupedKeys (): { missing: string[], unknown: string[] } {
  const known = new Set(CONFIG_SCHEMA.map((s) => s.key))
  return {
    missing: [...known].filter((k) => !HEADING_OF.has(k)),
    unknown: [...HEADING_OF.keys()].filter((k) => !known.has(k))
  }
}
