import type { Logger as PinoLogger } from 'pino'
import type { HostPort, NodeConfig, Role } from '../config/index.ts'
import { describe } from '../protocols/index.ts'
import type { Readiness } from './admin/index.ts'
import { Lifecycle } from './lifecycle.ts'
import type { LogTail } from './log-tail.ts'
import type { TraceLogFields } from './tracing/index.ts'
import { NODE_PARTS, drainNode, nodeBase, nodePreflight, startParts, startReadiness } from './root/index.ts'
import type { Components, NodeComponents } from './root/index.ts'

export interface RunningNode {
  readonly peerId: string
  /** The node's roles now (the role manager may change them). */
  readonly roles: readonly Role[]
  readonly grpc: HostPort
  readonly admin: HostPort
  readonly adminTokenPath: string
  readonly state: Readiness
  /** Resolves once the node stopped, whoever stopped it (stop(), or an admin's drain or
   * decommission: the process should exit then). */
  readonly stopped: Promise<void>
  /** Graceful stop: not ready, streams closed with UNAVAILABLE, in-flight calls and busy entities
   * finished (at most `shutdown-timeout`, then interrupted), then every part stopped in reverse
   * start order: the journal is flushed last. Idempotent. */
  stop (): Promise<void>
}

export interface StartNodeOptions {
  /** Where the logger also writes its lines (node/logger.ts): the admin API's live tail reads it. */
  readonly logTail?: LogTail
  /** The logger's trace ids (its mixin: node/logger.ts), bound once tracing starts. */
  readonly traceLog?: TraceLogFields
}

/**
 * Starts a node from its configuration: the composition root, and the only code that listens on
 * sockets. It checks and reads what it needs first (node/root/node-preflight.ts), then starts the
 * parts of NODE_PARTS (node/root/node-parts.ts) in order through one Lifecycle, which stops them
 * right to left: a start that fails half-way and a graceful stop undo the same list. The node is
 * ready once it has a view of the cluster (node/root/node-readiness.ts); a stop drains it first
 * (node/root/node-drain.ts).
 */
export async function startNode (config: NodeConfig, log: PinoLogger, opts: StartNodeOptions = {}): Promise<RunningNode> {
  const preflight = await nodePreflight(config)
  const components = nodeBase(config, log, preflight, opts.logTail, opts.traceLog)
  const lifecycle = new Lifecycle(log)
  try {
    await startParts(lifecycle, NODE_PARTS, components)
  } catch (err) {
    await lifecycle.stop()
    throw err
  }
  const running = runningNode(components, lifecycle)
  components.get('shutdown').bind(() => running.stop())
  startReadiness(components)
  return running
}

/** The running node's face: where it listens, its state, and its graceful stop. */
function runningNode (c: Components<NodeComponents>, lifecycle: Lifecycle): RunningNode {
  const log = c.get('log')
  const state = c.get('state')
  const roles = c.get('roles')
  let stopping: Promise<void> | undefined
  let wasStopped = (): void => {}
  const stopped = new Promise<void>((resolve) => { wasStopped = resolve })
  return {
    peerId: c.get('preflight').identity.peerId,
    stopped,
    get roles () { return roles.current },
    grpc: c.get('reach').grpc,
    admin: c.get('reach').admin,
    adminTokenPath: c.get('preflight').adminToken.path,
    get state () { return state.now },
    stop () {
      stopping ??= (async () => {
        try {
          await drainNode(c, lifecycle)
        } catch (err) {
          // whatever went wrong while draining, the parts still stop: the journal is flushed
          log.error({ err }, `draining failed: ${describe(err)}; stopping anyway`)
        }
        await lifecycle.stop()
        log.info('stopped: journal flushed')
        wasStopped()
      })()
      return stopping
    }
  }
}
