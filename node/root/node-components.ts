import type { Logger as PinoLogger } from 'pino'
import type { ActorRef, ActorSystem } from '../../actors/index.ts'
import type { HostPort, NodeConfig } from '../../config/index.ts'
import type { InferenceBackend, ModelManager, ModelRegistry } from '../../runtimes/index.ts'
import type { AuditTrail } from '../admin/index.ts'
import type { BackupService, ChunkStore, HolderRepair } from '../backup/index.ts'
import type { RetentionRunner, UserErasure } from '../erasure/index.ts'
import type { ModelPulls } from '../model-pull/index.ts'
import type { GatewayMsg, GrpcService } from '../grpc/index.ts'
import type { AgentAsker, InferencePlan, InferenceService, KvCacheTransfer } from '../inference/index.ts'
import type { Jobs } from '../jobs/index.ts'
import type { ClientLimits, TrustedProxies } from '../limits/index.ts'
import type { LogTail } from '../log-tail.ts'
import type { Cluster, NodeRoles, P2pHost, PinTable } from '../mesh/index.ts'
import type { NodeMetrics, StatsSampler } from '../metrics/index.ts'
import type { Leave, Migrator, MoveJobs } from '../migration/index.ts'
import type { ClusterPlugins, ClusterTools, McpServers, PluginHost, ServerStatus } from '../plugins/index.ts'
import type { PluginCallStats, PluginReconciler, PluginRegistry } from '../plugin-registry/index.ts'
import type { MeshRoomPlugins } from '../room-plugins/index.ts'
import type { ClusterSearch, ModelEmbedder, SearchIndex, SearchObservers } from '../search/index.ts'
import type { Exporter } from '../transfer/index.ts'
import type { ServiceFailures } from '../services/index.ts'
import type { TraceLogFields, Tracing } from '../tracing/index.ts'
import type { AntiEntropy, CatchUp, PartitionHandOff, LevelReplicaStorage, ReplicatedJournal, RosterFollower, PartitionSettler, RosterHistory, RosterPartitionVersions, RosterService, Scrubber, StorageRoster, WriteQuorum } from '../replication/index.ts'
import type { LevelStore } from '../storage/index.ts'
import type { DirectoryView, ToolPolicy, UserAccounts } from '../users/index.ts'
import type { KernelPort } from './kernel-port.ts'
import type { MembershipPort } from './membership-port.ts'
import type { MovesPort } from './moves-port.ts'
import type { NodePreflight } from './node-preflight.ts'
import type { NodeSelf, Reach } from './node-self.ts'
import type { NodeState } from './node-state.ts'
import type { RoomPluginsPort } from './room-plugins-port.ts'
import type { ShutdownPort } from './shutdown-port.ts'
import type { ToolsPort } from './tools-port.ts'

/** The repair parts, for the replication inspector (whose shard holders exist before the mesh,
 * while these start after it): each part sets its own entry as it starts. */
export interface RepairSet {
  antiEntropy?: AntiEntropy
  scrubber?: Scrubber
  handOff?: PartitionHandOff
  catchUp?: CatchUp
}

/** Known before any part starts. */
export interface NodeBase {
  readonly config: NodeConfig
  readonly log: PinoLogger
  readonly logTail: LogTail | undefined
  readonly preflight: NodePreflight
  readonly roles: NodeRoles
  readonly state: NodeState
  /** ms since the epoch when the node started. */
  readonly startedAt: number
  readonly reach: Reach
  readonly pins: PinTable
  readonly membership: MembershipPort
  readonly kernel: KernelPort
  readonly moves: MovesPort
  readonly shutdown: ShutdownPort
  readonly repairs: RepairSet
  /** Failed runs of the node's background services, by service (plexi_service_failures_total). */
  readonly serviceFailures: ServiceFailures
  /** The node's tools for its agents, bound by the tools part. */
  readonly toolsPort: ToolsPort
  /** The plugins' commands and hooks for its rooms, bound by the tools part. */
  readonly roomPluginsPort: RoomPluginsPort
  /** The trace ids of the log's lines (its mixin), bound by the tracing part. */
  readonly traceLog: TraceLogFields
}

/** Given by the parts, in the order node/root/node-parts.ts starts them. */
export interface NodeGiven {
  readonly store: LevelStore
  readonly replicas: LevelReplicaStorage
  readonly roster: StorageRoster
  /** The roster versions this node applied (node/replication roster-journal), in its data dir. */
  readonly rosterHistory: RosterHistory
  readonly models: ModelRegistry
  readonly metrics: NodeMetrics
  readonly jobs: Jobs
  /** The node's spans (node/tracing): off, and free, without otlp-endpoint. */
  readonly tracing: Tracing
  /** This node's search index (undefined: it keeps none: not a storage node, or search is off). */
  readonly searchIndex: SearchIndex | undefined
  /** What the search part binds later (the index opens before the parts they come from): the
   * metrics' observers, and the embedder whose model manager comes later. */
  readonly searchBindings: { observers: SearchObservers | undefined, readonly embedder: ModelEmbedder | undefined }
  readonly journal: ReplicatedJournal
  readonly writeQuorum: WriteQuorum
  /** Open journals (and a partition hand-off) follow a change of the storage roster. */
  readonly rosterChanged: () => void
  /** The partitions' configuration versions owners here carry (undefined: a node alone carries none). */
  readonly partitionVersions: RosterPartitionVersions | undefined
  readonly system: ActorSystem
  readonly catchUp: CatchUp
  /** Roster versions kept beside the storage roster (undefined: a node alone keeps none). */
  readonly rosterVersions: { readonly service: RosterService, readonly follower: RosterFollower } | undefined
  /** Settles partitions' hand-offs while the roster's keeper is on this node (undefined: not a
   * storage node of a cluster). */
  readonly settler: PartitionSettler | undefined
  readonly inferencePlan: InferencePlan
  /** The llama.cpp backend found at start (undefined on a node without the ai role). */
  readonly inferenceBackend: InferenceBackend | undefined
  readonly manager: ModelManager
  readonly kvCaches: KvCacheTransfer
  readonly inference: InferenceService
  readonly directoryView: DirectoryView
  readonly users: UserAccounts
  /** Which tools each user's agent may use (the input of the node's ToolProvider: `allowed`). */
  readonly toolPolicy: ToolPolicy
  /** The rooms' plugins (their commands and hooks), as the room and post-hooks entities read them. */
  readonly roomPlugins: MeshRoomPlugins
  readonly gateway: ActorRef<GatewayMsg>
  readonly asker: AgentAsker
  readonly self: NodeSelf
  readonly p2p: P2pHost | undefined
  readonly cluster: Cluster
  /** Searches from this node, over every partition (node/search). */
  readonly search: ClusterSearch
  /** Exports of rooms, agents and users, for the admin API and the gRPC services (node/transfer). */
  readonly exporter: Exporter
  /** A plugins-role member's plugin host (undefined elsewhere). */
  readonly pluginHost: PluginHost | undefined
  /** The node's ToolProvider: every plugin's and registered server's tools in the cluster. */
  readonly tools: ClusterTools
  /** The cluster's plugins for the rooms: their commands and hooks, and Plexi requests to them. */
  readonly clusterPlugins: ClusterPlugins
  /** The MCP servers an admin registered for the cluster. */
  readonly mcpServers: McpServers
  /** Each plugins-role member's connection to each registered server, asked for the admin API. */
  readonly mcpServerStatus: ServerStatus
  /** The plugins' calls on this node, fed by the host (undefined where no host runs). */
  readonly pluginCalls: PluginCallStats | undefined
  /** The cluster's plugins as the admin API drives them (every node). */
  readonly pluginRegistry: PluginRegistry
  /** What runs here follows the catalog (a node with a plugin host). */
  readonly pluginReconciler: PluginReconciler | undefined
  readonly migrator: Migrator
  readonly moveJobs: MoveJobs
  readonly leave: Leave
  readonly antiEntropy: AntiEntropy
  readonly scrubber: Scrubber
  readonly handOff: PartitionHandOff
  readonly chunkStore: ChunkStore | undefined
  readonly backups: BackupService
  readonly erasure: UserErasure
  /** Pulls of models (an ai member; undefined elsewhere). */
  readonly modelPulls: ModelPulls | undefined
  readonly retention: RetentionRunner
  readonly holderRepair: HolderRepair | undefined
  readonly stats: StatsSampler
  readonly audit: AuditTrail
  readonly clients: ClientLimits
  readonly proxies: TrustedProxies
  readonly admin: { close (): Promise<unknown> }
  readonly grpc: { readonly server: import('@grpc/grpc-js').Server, readonly address: HostPort }
  readonly openai: { readonly address: HostPort } | undefined
  /** The Chat and Agent services as the gRPC server serves them (its handlers), for the user listener. */
  readonly clientServices: { readonly services: readonly GrpcService[], readonly retryTypes: import('protobufjs').Root }
  /** The user listener (gRPC-Web and the chat page); undefined with web-listen off. */
  readonly web: { readonly address: HostPort, readonly origin?: string } | undefined
}

/** Every component of a node: what is known before it starts and what its parts give. */
export type NodeComponents = NodeBase & NodeGiven
