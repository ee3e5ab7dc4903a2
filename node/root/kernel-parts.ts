import { ActorSystem, auditLog, backupCatalog, chatRoomType, erasureLog, retentionPolicy, mcpServerRegistry, pluginCatalog, pluginPackage, postHooks, roomDirectory, toolPolicy, userAgent, userDirectory } from '../../actors/index.ts'
import { CHAT_GATEWAY_PATH, chatGateway } from '../grpc/index.ts'
import { AGENT_GATEWAY_PATH, AgentAsker, agentGateway } from '../inference/index.ts'
import { actorMetrics } from '../metrics/index.ts'
import { MeshRoomPlugins, roomPluginMetrics } from '../room-plugins/index.ts'
import { QuorumGatedJournal, spawnShardHolders } from '../replication/index.ts'
import type { RepairParts } from '../replication/index.ts'
import { DirectoryView, ToolPolicy, UserAccounts } from '../users/index.ts'
import type { PartComponents } from './components.ts'
import { DEFAULT_SAMPLING } from './constants.ts'
import type { NodeComponents, RepairSet } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>


/** The repair parts as the replication inspector reads them: whichever run by now. */
export function repairHooks (repairs: RepairSet): RepairParts {
  return { antiEntropy: () => repairs.antiEntropy, scrubber: () => repairs.scrubber, handOff: () => repairs.handOff, catchUp: () => repairs.catchUp }
}

/**
 * The actor system, persisting through the journal (gated by the write quorum), bound to the
 * kernel port so that the journal reaches remote replicas through it; with the shard holders of
 * this node's replicas and their inspector, which answers repairs and scrubs once those run.
 */
export const actorsPart: PartSpec<NodeComponents> = {
  id: 'actors',
  needs: ['log', 'preflight', 'journal', 'writeQuorum', 'metrics', 'kernel', 'repairs', 'tracing'],
  gives: ['system'],
  start: (c: C) => {
    const log = c.get('log')
    const metrics = c.get('metrics')
    const system = new ActorSystem({
      node: c.get('preflight').identity.peerId,
      logger: log,
      journal: new QuorumGatedJournal(c.get('journal'), c.get('writeQuorum')),
      onEscalation: (err) => { log.error({ err }, `actor gave up after repeated failures: ${err.message}`) },
      onAskSettled: (ms, outcome) => { metrics.observeAsk(ms, outcome) },
      // (tracing off: undefined, and messages carry no trace)
      trace: c.get('tracing').messages
    })
    actorMetrics(metrics.registry, system)
    c.get('kernel').bind(system)
    spawnShardHolders(system, c.get('journal'), repairHooks(c.get('repairs')))
    c.provide('system', system, 'actors')
    return { stop: async () => { await system.terminate() } }
  }
}

/**
 * Every entity type on every node (placement decides where each entity lives, by the roles
 * held), each node's own copy of the users' tokens (no login waits on the directory's owner), the
 * users' tool policies,
 * and the gateways that fan chat and agent answers out to this node's clients.
 */
export const entitiesPart: PartSpec<NodeComponents> = {
  id: 'entities',
  needs: ['config', 'log', 'roles', 'system', 'inference', 'metrics', 'serviceFailures', 'toolsPort', 'roomPluginsPort'],
  gives: ['directoryView', 'users', 'toolPolicy', 'roomPlugins', 'gateway', 'asker'],
  start: (c: C) => {
    const config = c.get('config')
    const log = c.get('log')
    const system = c.get('system')
    // rooms answer their plugins' commands and run their hooks (none until the tools part binds them)
    const roomPlugins = new MeshRoomPlugins({ source: c.get('roomPluginsPort'), metrics: roomPluginMetrics(c.get('metrics').registry), log: log.child({ component: 'room-plugins' }) })
    system.registerEntity(chatRoomType({ plugins: roomPlugins }))
    system.registerEntity(postHooks({ plugins: roomPlugins }))
    system.registerEntity(roomDirectory)
    system.registerEntity(erasureLog)
    system.registerEntity(retentionPolicy)
    system.registerEntity(userDirectory)
    system.registerEntity(backupCatalog)
    system.registerEntity(auditLog)
    system.registerEntity(pluginCatalog)
    system.registerEntity(pluginPackage)
    system.registerEntity(toolPolicy)
    system.registerEntity(mcpServerRegistry)
    // agents call the tools their users may use (none until the tools part binds the port)
    system.registerEntity(userAgent({ inference: c.get('inference'), sampling: { ...DEFAULT_SAMPLING, maxTokens: config.agentMaxTokens }, maxTokensLimit: config.contextSize, tools: c.get('toolsPort') }))
    for (const role of ['chat', 'ai'] as const) {
      if (!c.get('roles').has(role)) log.info(`this node does not hold the ${role} role: its ${role === 'chat' ? 'rooms' : 'agents'} live on members that do`)
    }
    const directoryView = new DirectoryView({ system, log, failures: c.get('serviceFailures') })
    c.provide('directoryView', directoryView, 'entities')
    c.provide('users', new UserAccounts(system, directoryView), 'entities')
    c.provide('toolPolicy', new ToolPolicy({ system, log }), 'entities')
    c.provide('roomPlugins', roomPlugins, 'entities')
    c.provide('gateway', system.spawn(chatGateway(), { name: CHAT_GATEWAY_PATH.slice(1), mailbox: 65_536, kind: 'chat-gateway' }), 'entities')
    c.provide('asker', new AgentAsker(system, system.spawn(agentGateway(), { name: AGENT_GATEWAY_PATH.slice(1), mailbox: 65_536, kind: 'agent-gateway' })), 'entities')
    return { stop: () => undefined }
  }
}
