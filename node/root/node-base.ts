import type { Logger as PinoLogger } from 'pino'
import type { NodeConfig } from '../../config/index.ts'
import type { LogTail } from '../log-tail.ts'
import { NodeRoles, PinTable } from '../mesh/index.ts'
import { ServiceFailures } from '../services/index.ts'
import { TraceLogFields } from '../tracing/index.ts'
import { Components } from './components.ts'
import { KernelPort } from './kernel-port.ts'
import { MembershipPort } from './membership-port.ts'
import { MovesPort } from './moves-port.ts'
import type { NodeComponents } from './node-components.ts'
import type { NodePreflight } from './node-preflight.ts'
import { NodeState } from './node-state.ts'
import { RoomPluginsPort } from './room-plugins-port.ts'
import { ShutdownPort } from './shutdown-port.ts'
import { ToolsPort } from './tools-port.ts'

/** A node's components before any part starts: what preflight read, the node's state, where it
 * will be reached, and the ports the parts bind (NODE_BASE names them). */
export function nodeBase (config: NodeConfig, log: PinoLogger, preflight: NodePreflight, logTail?: LogTail, traceLog = new TraceLogFields()): Components<NodeComponents> {
  return new Components<NodeComponents>({
    config,
    log,
    logTail,
    preflight,
    roles: new NodeRoles(config.role ?? []),
    state: new NodeState(),
    startedAt: Date.now(),
    reach: { grpc: config.grpcListen, admin: config.adminListen, p2p: [] },
    pins: new PinTable(),
    membership: new MembershipPort(),
    kernel: new KernelPort(),
    moves: new MovesPort(),
    shutdown: new ShutdownPort(),
    repairs: {},
    serviceFailures: new ServiceFailures(),
    toolsPort: new ToolsPort(),
    roomPluginsPort: new RoomPluginsPort(),
    traceLog
  })
}
