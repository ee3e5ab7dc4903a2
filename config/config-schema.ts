/**
 * Every configuration key of a node, once. The flag (`--grpc-listen`), the env twin
 * (`PLEXI_GRPC_LISTEN`) and the config-file key (`grpc-listen`) all derive from the key name.
 */

/** Node roles (the same list as actors/node-role.ts; config/ imports nothing, a test checks they match). */
export const ROLES = ['chat', 'ai', 'storage', 'backup', 'plugins'] as const
export type Role = typeof ROLES[number]

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

export const GPU_MODES = ['auto', 'cuda', 'off'] as const
export type GpuMode = typeof GPU_MODES[number]

/** How a llama.cpp worker holds the requests it runs at once: on, one context of a sequence each
 * (evaluated in one batch); off, a context each; auto, on for a GPU backend and off on the CPU. */
export const BATCHING_MODES = ['auto', 'on', 'off'] as const
export type BatchingMode = typeof BATCHING_MODES[number]

export interface HostPort {
  readonly host: string
  readonly port: number
}

/** The value types a key can have, with how each is parsed from a string (flag or env). */
export type KeyType =
  | { readonly kind: 'string', readonly minLength?: number }
  | { readonly kind: 'path' }
  | { readonly kind: 'int', readonly min: number, readonly max: number }
  | { readonly kind: 'number', readonly min: number, readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum', readonly values: readonly string[] }
  | { readonly kind: 'roles' }
  /** `off`: with off set, the word `off` too (the listener is then not started). */
  | { readonly kind: 'host-port', readonly off?: true }
  | { readonly kind: 'multiaddr' }
  | { readonly kind: 'multiaddr-list' }
  /** IP addresses and CIDR networks, comma-separated (`10.0.0.0/8,::1`). */
  | { readonly kind: 'address-list' }
  /** Web origins, comma-separated (`https://chat.example.com,http://localhost:5173`): a scheme
   * (http or https), a host and an optional port, nothing after. */
  | { readonly kind: 'origin-list' }
  /** One web origin, the same way. */
  | { readonly kind: 'origin' }

export interface KeySpec {
  readonly key: string
  readonly type: KeyType
  /** Undefined: no default (the key is optional, or required where the command says so). */
  readonly default?: unknown
  readonly description: string
  /** Printed masked by `config print`. */
  readonly secret?: boolean
  /** Not yet used by the node (parsed and validated so that scripts can set it today). */
  readonly reserved?: string
}

export const CONFIG_SCHEMA: readonly KeySpec[] = [
  { key: 'role', type: { kind: 'roles' }, description: 'roles this node holds: a comma-separated list of chat, ai, storage, backup, plugins, or all' },
  { key: 'data-dir', type: { kind: 'path' }, default: './data', description: 'where the node keeps its store, tokens and identity' },
  { key: 'grpc-listen', type: { kind: 'host-port' }, default: '127.0.0.1:7400', description: 'gRPC address for chat clients (port 0: any free port)' },
  { key: 'admin-listen', type: { kind: 'host-port' }, default: '127.0.0.1:7402', description: 'admin HTTP address: /api/v1, /metrics, /livez, /readyz, /docs (port 0: any free port)' },
  { key: 'p2p-listen', type: { kind: 'multiaddr' }, default: '/ip4/127.0.0.1/tcp/7401', description: 'libp2p listen multiaddr (used when a cluster key is given)' },
  { key: 'join', type: { kind: 'multiaddr-list' }, default: [], description: 'multiaddrs of nodes to join, comma-separated (retried with backoff until reached; needs cluster-key-file)' },
  { key: 'cluster-key-file', type: { kind: 'path' }, description: 'file holding the cluster pre-shared key (plexi cluster keygen); without it the node runs alone with no p2p listener' },
  { key: 'failure-timeout', type: { kind: 'int', min: 200, max: 600_000 }, default: 3_000, description: 'ms a member may answer no probe (directly or through others) before it is down (suspect at its first unanswered probe); each member is probed 6 times per timeout' },
  { key: 'backup-key-file', type: { kind: 'path' }, description: 'file holding the backup master key (plexi backup keygen; mode 0600, a file others can read is refused); a node with it makes and checks backups (plexi admin backup); the key stays in this node\'s memory, never in the cluster or a log' },
  { key: 'mdns', type: { kind: 'boolean' }, default: false, description: 'find other nodes on the local network by multicast DNS (needs cluster-key-file; only nodes holding the same key connect)' },
  { key: 'capacity', type: { kind: 'int', min: 1, max: 100_000 }, description: 'placement weight of this node: a node with twice the capacity owns about twice the entities (default: its CPU cores)' },
  { key: 'models-dir', type: { kind: 'path' }, description: 'where models are kept: GGUF files, and <name>.json files naming models on OpenAI-compatible servers (default: <data-dir>/models)' },
  { key: 'admin-token', type: { kind: 'string', minLength: 16 }, secret: true, description: 'bearer token for /api/v1 (default: the one in <data-dir>/admin-token, created on first start)' },
  { key: 'metrics-token', type: { kind: 'string', minLength: 16 }, secret: true, description: 'bearer token required on /metrics (default: /metrics is open)' },
  { key: 'log-level', type: { kind: 'enum', values: LOG_LEVELS }, default: 'info', description: 'pino log level' },
  { key: 'otlp-endpoint', type: { kind: 'string', minLength: 8 }, description: 'export OpenTelemetry traces to this OTLP/HTTP receiver (an http or https URL: spans are POSTed to URL/v1/traces, JSON), e.g. an OpenTelemetry Collector, Jaeger or Tempo at http://127.0.0.1:4318; unset: tracing is off' },
  { key: 'trace-sample', type: { kind: 'number', min: 0, max: 1 }, default: 0.01, description: 'with otlp-endpoint: the share of new traces recorded (0 to 1; a client\'s traceparent decides for its own call, and a recorded trace is recorded on every node it reaches)' },
  // max: MAX_CHAT_TEXT_BYTES of protocols/limits.ts, what every node accepts from another (config/
  // imports nothing: test/protocols/limits.spec.ts holds the two equal)
  { key: 'max-message-bytes', type: { kind: 'int', min: 1, max: 1_048_576 }, default: 16_384, description: 'largest chat message text, in UTF-8 bytes' },
  { key: 'chat-rate', type: { kind: 'number', min: 0.01, max: 100_000 }, default: 10, description: 'chat posts per second per user, sustained (token bucket refill)' },
  { key: 'chat-burst', type: { kind: 'int', min: 1, max: 100_000 }, default: 20, description: 'chat posts per user allowed at once (token bucket size)' },
  { key: 'stream-buffer', type: { kind: 'int', min: 10, max: 1_000_000 }, default: 5_000, description: 'messages queued for one subscriber that does not read; beyond it its stream ends with RESOURCE_EXHAUSTED and the client resumes from its last seq' },
  { key: 'partitions', type: { kind: 'int', min: 1, max: 65_536 }, description: 'partitions of the keyspace, fixed when the cluster is created (default 256, or what this data dir recorded); a node configured otherwise than its data dir is refused' },
  { key: 'backup-copies', type: { kind: 'int', min: 1, max: 7 }, default: 2, description: 'copies of every backup chunk, on distinct backup-role members (fewer while fewer hold the role)' },
  { key: 'backup-schedule', type: { kind: 'string', minLength: 2 }, default: 'off', description: 'make a backup this often on a node holding the backup key: 30m, 6h, 1d (5 minutes to a year), or off; skipped while one made by any node is more recent than that' },
  { key: 'backup-audit-interval', type: { kind: 'string', minLength: 2 }, default: '1h', description: 'on a node holding the backup key, audit this often: 32 random chunks of the newest backup, every holder challenged, a missing or damaged copy put back from a whole one: 30m, 6h, 1d (5 minutes to a year), or off' },
  { key: 'backup-keep-last', type: { kind: 'int', min: 0, max: 100_000 }, default: 0, description: 'after each backup this node makes, keep the newest N backups of its key (with keep-daily and keep-weekly: a backup any rule keeps stays; all 0: keep every backup)' },
  { key: 'backup-keep-daily', type: { kind: 'int', min: 0, max: 100_000 }, default: 0, description: 'keep the newest backup of each of the last N days that have one (UTC)' },
  { key: 'backup-keep-weekly', type: { kind: 'int', min: 0, max: 100_000 }, default: 0, description: 'keep the newest backup of each of the last N ISO weeks that have one (UTC)' },
  { key: 'retention-days', type: { kind: 'int', min: 1, max: 36_500 }, description: 'cluster-wide default retention: a room with no retention of its own keeps the records of its last N days, the older ones removed on every replica by the retention job (default: keep forever)' },
  { key: 'retention-schedule', type: { kind: 'string', minLength: 2 }, default: '1d', description: 'apply retention this often (the retention job, on one member: the default\'s and every room\'s own): 30m, 6h, 1d (5 minutes to a year), or off to run it only when asked (plexi admin retention run)' },
  { key: 'retention-posts', type: { kind: 'int', min: 1, max: 1_000_000_000 }, description: 'cluster-wide default retention: a room with no retention of its own keeps its last N records (with retention-days: a record goes when either says so; default: keep forever)' },
  { key: 'replication-factor', type: { kind: 'int', min: 1, max: 7 }, default: 3, description: 'replicas of every journal, on distinct storage nodes (fewer while the cluster has fewer storage nodes)' },
  { key: 'write-quorum', type: { kind: 'int', min: 1, max: 7 }, description: 'replicas that must have a write on disk before it is acknowledged (default: a majority of the replicas; at most replication-factor)' },
  { key: 'anti-entropy-interval', type: { kind: 'int', min: 0, max: 86_400_000 }, default: 60_000, description: 'ms between anti-entropy passes: each storage node compares its replicas\' Merkle roots with another replica of each partition and fills what it misses (0: off)' },
  { key: 'anti-entropy-records', type: { kind: 'int', min: 1, max: 10_000_000 }, default: 100_000, description: 'records one anti-entropy pass may copy to this node (the rest waits for the next pass)' },
  { key: 'anti-entropy-mib', type: { kind: 'int', min: 1, max: 1_048_576 }, default: 64, description: 'MiB one anti-entropy pass may take from other nodes (hashes, digests and records; the rest waits for the next pass)' },
  { key: 'scrub-interval', type: { kind: 'int', min: 0, max: 2_592_000_000 }, default: 86_400_000, description: 'ms from the end of one scrub pass to the start of the next: every stored value is re-read and its SHA-256 checked, damaged records are quarantined and put back from a healthy replica (0: only on plexi admin scrub)' },
  { key: 'scrub-rate', type: { kind: 'int', min: 1, max: 100_000 }, default: 16, description: 'MiB a second a scrub pass may read (plexi admin scrub --fast reads as fast as the disk goes)' },
  { key: 'replica-replace-after', type: { kind: 'int', min: 0, max: 2_592_000_000 }, default: 600_000, description: 'ms a storage node may stay down before it is replaced: its partitions get new replicas, which catch up from the others before they count (0: never; a node back after that catches up again)' },
  { key: 'lease-ms', type: { kind: 'int', min: 200, max: 60_000 }, default: 1_500, description: 'ms an entity\'s owner may serve reads from what it holds after a quorum of its replicas last took its writes or renewals: a replica refuses any newer owner that long (a read past it asks a quorum first). Failover after a crash waits up to this long; a stop or a live move does not' },
  { key: 'max-clock-drift', type: { kind: 'number', min: 0, max: 0.2 }, default: 0.01, description: 'the most two nodes\' clocks may disagree about a duration, as a fraction (0.01: 1%; quartz and NTP stay under 0.001): an owner counts its lease as lasting lease-ms * (1 - max-clock-drift)' },
  { key: 'migration-timeout', type: { kind: 'int', min: 100, max: 3_600_000 }, default: 30_000, description: 'ms a live migration waits for an entity\'s work in progress (an agent\'s answer) before it interrupts it (the answer so far is kept); a move still stuck then becomes a clean failover (its new owner recovers it from the journal)' },
  { key: 'migration-concurrency', type: { kind: 'int', min: 1, max: 10_000 }, default: 64, description: 'entities one node moves at once in a drain or rebalance, at most: within it, as many as keep each entity\'s pause near 20 ms (the others wait their turn and keep serving where they are)' },
  { key: 'versioned-fences', type: { kind: 'boolean' }, default: true, description: 'an entity\'s new owner fences its partition\'s replica set and the earlier sets not yet settled (roster versions), not every storage node, and an open journal follows its partition\'s move with a fence of its own; false: every live storage node, as before session 36 (docs/replication.md, "Roster versions", step 6)' },
  { key: 'journal-sync', type: { kind: 'boolean' }, default: true, description: 'fsync every journal batch before acknowledging (false: survive process crashes, not power loss)' },
  { key: 'store-write-buffer', type: { kind: 'int', min: 1, max: 1024 }, default: 32, description: 'MiB of writes the store (LevelDB) gathers in memory before writing them out as a sorted table: larger means fewer tables to merge and less CPU under heavy writes (a bulk import costs its store about 40% less CPU at 32 than at LevelDB\'s own 4), and up to twice this much memory while a full one is written out' },
  { key: 'search', type: { kind: 'boolean' }, default: true, description: 'keep a search index (<data-dir>/search.sqlite) of the rooms and agent conversations this node\'s replica store holds and answer searches over it (storage nodes only; false: this node\'s partitions are searched on their other replicas)' },
  { key: 'search-embedding-model', type: { kind: 'string', minLength: 1 }, description: 'a llama.cpp model of this node (by name) whose embedding context embeds posts and queries for semantic and hybrid search, e.g. an embedding GGUF such as nomic-embed-text or bge (docs/search.md); unset: this node\'s index answers text search only, and semantic queries say so' },
  { key: 'gpu', type: { kind: 'enum', values: GPU_MODES }, default: 'auto', description: 'llama.cpp backend: auto (CUDA or Vulkan when present, else CPU), cuda (fail if absent), off (CPU)' },
  { key: 'inference-workers', type: { kind: 'int', min: 1, max: 64 }, default: 1, description: 'worker threads per loaded llama.cpp model (each holds its own copy of the weights)' },
  { key: 'inference-contexts', type: { kind: 'int', min: 1, max: 64 }, description: 'requests one worker runs at once, a sequence each of the worker\'s one llama.cpp context, evaluated in one batch (default: min(4, cores))' },
  { key: 'inference-threads', type: { kind: 'int', min: 1, max: 1024 }, description: 'CPU threads of each worker\'s llama.cpp context (default: cores / (workers x contexts), at least 1); more than the cores makes generation many times slower' },
  { key: 'inference-batching', type: { kind: 'enum', values: BATCHING_MODES }, default: 'auto', description: 'how a worker runs its concurrent requests: on, one llama.cpp context of a sequence each, their tokens evaluated in one batch (what a GPU is for); off, a context each with its own threads (faster on the CPU, where the batch\'s one set of threads computes what a context each computes apart: docs/operations.md); auto, on when the worker\'s llama.cpp backend is a GPU (cuda, vulkan, metal), off on the CPU' },
  { key: 'inference-cached-sequences', type: { kind: 'int', min: 1, max: 256 }, description: 'agents\' conversations whose KV cache each worker keeps in memory, a sequence each of its llama.cpp context, at most 256 (counted in models-memory); a conversation\'s next turn then evaluates only its new tokens (default: inference-contexts, and never fewer)' },
  { key: 'kv-cache-disk', type: { kind: 'int', min: 0, max: 16_777_216 }, default: 1024, description: 'MiB of agents\' KV caches kept in <data-dir>/kv-cache: a conversation evicted from memory, or held when its model unloads, is saved there and restored on its next turn (0: memory only)' },
  { key: 'inference-queue', type: { kind: 'int', min: 0, max: 100_000 }, default: 32, description: 'requests that may wait per model when every context is busy; beyond it RESOURCE_EXHAUSTED / 503 with retry-after' },
  { key: 'context-size', type: { kind: 'int', min: 256, max: 1_048_576 }, default: 2048, description: 'tokens per llama.cpp context (prompt and answer), at most the model\'s own context length' },
  { key: 'models-memory', type: { kind: 'int', min: 16, max: 16_777_216 }, description: 'MiB all loaded models may take together; the least recently used idle model is unloaded to make room (default: half the machine\'s memory)' },
  { key: 'default-model', type: { kind: 'string', minLength: 1 }, description: 'model for agents that chose none (default: the first ready model by name)' },
  { key: 'model-hub', type: { kind: 'string', minLength: 8 }, default: 'https://huggingface.co', description: 'where `plexi admin models pull hf:OWNER/REPO/FILE.gguf` downloads from: Hugging Face, or a mirror that serves OWNER/REPO/resolve/REVISION/FILE the same way (an http or https URL); the token for gated models is the HF_TOKEN environment variable of the node' },
  { key: 'agent-max-tokens', type: { kind: 'int', min: 1, max: 32_768 }, default: 256, description: 'longest agent answer, in tokens, unless the agent is configured otherwise' },
  { key: 'agent-requests-per-min', type: { kind: 'number', min: 0.01, max: 1_000_000 }, default: 30, description: 'inference requests per user per minute (agent questions and /v1/chat/completions)' },
  { key: 'agent-tokens-per-min', type: { kind: 'number', min: 1, max: 1_000_000_000 }, default: 20_000, description: 'generated tokens per user per minute; a user over it waits until it refills' },
  // per client address: generous, since one address may be many people (a NAT, an office, a reverse
  // proxy: every client behind a proxy is the proxy's address); they stop floods and guessing
  { key: 'ip-rate', type: { kind: 'number', min: 0, max: 1_000_000 }, default: 500, description: 'requests per second from one client IP address, sustained, on every endpoint together (gRPC and gRPC-Web calls, admin HTTP requests but /livez and /readyz, OpenAI requests); an IPv6 client is its /64 (0: no limit)' },
  { key: 'ip-burst', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 1000, description: 'requests one client IP address may make at once (token bucket size of ip-rate)' },
  { key: 'auth-failures-per-min', type: { kind: 'int', min: 0, max: 100_000 }, default: 20, description: 'failed authentications (a wrong token) one client IP address may make at once, refilled at this many a minute; beyond them its attempts are refused, valid tokens too, before the token is checked (0: never refused)' },
  { key: 'trusted-proxies', type: { kind: 'address-list' }, default: [], description: 'reverse proxies in front of this node, IP addresses or CIDR networks, comma-separated (10.0.0.5,fd00::/8): a request whose connection comes from one counts as from the client its X-Forwarded-For names (the HTTP header on the admin and OpenAI endpoints, metadata of that name on gRPC), for the limits per address and the audit trail; what a client writes there itself is never believed (default: none, every request is from its connection)' },
  { key: 'user-rate', type: { kind: 'number', min: 0, max: 1_000_000 }, default: 100, description: 'requests per second one authenticated user may make, sustained, from any number of addresses, on every endpoint together (gRPC calls, OpenAI requests, and admin requests per admin token); chat posts and agent questions have their own lower limits besides (0: no limit)' },
  { key: 'user-burst', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 200, description: 'requests one user may make at once (token bucket size of user-rate)' },
  { key: 'streams-per-ip', type: { kind: 'int', min: 0, max: 1_000_000 }, default: 256, description: 'streams one client IP address may hold open at once on every endpoint together (gRPC Subscribe and Ask, admin live streams, streamed OpenAI completions); beyond it RESOURCE_EXHAUSTED / 429 (0: no limit)' },
  { key: 'web-listen', type: { kind: 'host-port', off: true }, default: '127.0.0.1:7404', description: 'user HTTP address: the chat page at / and gRPC-Web for browsers (the Chat and Agent services at their gRPC paths, /plexi.chat.v1.Chat/Post ...; port 0: any free port), or off' },
  { key: 'web-advertise', type: { kind: 'origin' }, description: 'the origin browsers reach this node\'s user listener at (https://chat1.example.com:7404), as the members\' records say it: the chat page moves to it when its own node stops answering, and the other members take calls from pages they served (CORS) (default: web-listen\'s address, https with TLS; none when web-listen is a wildcard such as 0.0.0.0, and then no page fails over to this node)' },
  { key: 'web-cors-origin', type: { kind: 'origin-list' }, default: [], description: 'web origins whose pages may call this node\'s gRPC-Web from another origin (CORS), comma-separated: https://chat.example.com,http://localhost:5173 (default: none; the node\'s own chat page needs none)' },
  { key: 'openai-listen', type: { kind: 'host-port' }, description: 'serve the OpenAI-compatible API (/v1/chat/completions, /v1/models) on this address; off when unset' },
  { key: 'tls-cert', type: { kind: 'path' }, description: 'PEM certificate chain file (this node\'s certificate first); with tls-key, gRPC, the admin endpoint and the OpenAI-compatible API serve TLS only (plexi tls selfsigned makes a pair for a lab)' },
  { key: 'tls-key', type: { kind: 'path' }, description: 'PEM private key file of tls-cert (mode 0600: a file group or others may read is refused); both or neither' },
  { key: 'shutdown-timeout', type: { kind: 'int', min: 0, max: 600_000 }, default: 10_000, description: 'ms a graceful shutdown waits for in-flight requests before forcing' },
  // V8's own size depends on the machine's memory: up to 64 on a 24 GiB machine, and an idle node
  // kept 64 MiB of young generation committed; docs/performance.md, "Idle memory", has the figures
  { key: 'max-semi-space-size', type: { kind: 'int', min: 0, max: 256 }, default: 8, description: 'MiB of each of the two semi-spaces of the V8 heap\'s young generation (Node\'s --max-semi-space-size; the node process re-executes itself with it as it starts): smaller keeps an idle node smaller, larger lets a busy one collect less often; 0: V8\'s default' }
]

/** `grpc-listen` → `grpcListen` */
export function camel (key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}

/** `grpc-listen` → `PLEXI_GRPC_LISTEN` */
export function envName (key: string): string {
  return `PLEXI_${key.toUpperCase().replaceAll('-', '_')}`
}

/** The node's configuration, every value parsed and validated. */
export interface NodeConfig {
  readonly role: readonly Role[] | undefined
  readonly dataDir: string
  readonly grpcListen: HostPort
  readonly adminListen: HostPort
  readonly p2pListen: string
  readonly join: readonly string[]
  readonly clusterKeyFile: string | undefined
  readonly backupKeyFile: string | undefined
  readonly failureTimeout: number
  readonly mdns: boolean
  readonly capacity: number | undefined
  readonly modelsDir: string
  readonly adminToken: string | undefined
  readonly metricsToken: string | undefined
  readonly logLevel: LogLevel
  readonly otlpEndpoint: string | undefined
  readonly traceSample: number
  readonly maxMessageBytes: number
  readonly chatRate: number
  readonly chatBurst: number
  readonly streamBuffer: number
  readonly partitions: number | undefined
  readonly replicationFactor: number
  readonly backupCopies: number
  readonly backupSchedule: string
  readonly backupAuditInterval: string
  readonly backupKeepLast: number
  readonly retentionSchedule: string
  readonly retentionDays: number | undefined
  readonly retentionPosts: number | undefined
  readonly backupKeepDaily: number
  readonly backupKeepWeekly: number
  readonly writeQuorum: number | undefined
  readonly antiEntropyInterval: number
  readonly antiEntropyRecords: number
  readonly antiEntropyMib: number
  readonly scrubInterval: number
  readonly scrubRate: number
  readonly replicaReplaceAfter: number
  readonly leaseMs: number
  readonly maxClockDrift: number
  readonly journalSync: boolean
  readonly versionedFences: boolean
  readonly storeWriteBuffer: number
  readonly maxSemiSpaceSize: number
  readonly search: boolean
  readonly searchEmbeddingModel: string | undefined
  readonly gpu: GpuMode
  readonly inferenceWorkers: number
  readonly inferenceContexts: number | undefined
  readonly inferenceThreads: number | undefined
  readonly inferenceCachedSequences: number | undefined
  readonly inferenceBatching: BatchingMode
  readonly kvCacheDisk: number
  readonly inferenceQueue: number
  readonly contextSize: number
  readonly modelsMemory: number | undefined
  readonly defaultModel: string | undefined
  readonly modelHub: string
  readonly agentMaxTokens: number
  readonly agentRequestsPerMin: number
  readonly agentTokensPerMin: number
  readonly ipRate: number
  readonly ipBurst: number
  readonly authFailuresPerMin: number
  readonly streamsPerIp: number
  readonly trustedProxies: readonly string[]
  readonly userRate: number
  readonly userBurst: number
  readonly openaiListen: HostPort | undefined
  /** undefined: `off` */
  readonly webListen: HostPort | undefined
  readonly webCorsOrigin: readonly string[]
  readonly webAdvertise: string | undefined
  readonly tlsCert: string | undefined
  readonly tlsKey: string | undefined
  readonly shutdownTimeout: number
  readonly migrationTimeout: number
  readonly migrationConcurrency: number
}
