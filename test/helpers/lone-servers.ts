import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { mcpServerRegistry } from '../../actors/index.ts'
import type { ActorSystem } from '../../actors/index.ts'
import { McpServers, PLUGINS_PATH, ServerStatus, ServerSync, pluginsActor } from '../../node/plugins/index.ts'
import type { SupervisorTimings } from '../../node/plugins/index.ts'
import type { McpServerRegistration } from '../../protocols/index.ts'
import { keptLog } from './node-parts-fixture.ts'
import { FAST_TIMINGS, testHost } from './plugin-fixture.ts'
import type { TestHost } from './plugin-fixture.ts'

/** @modelcontextprotocol/server-memory's server, as npm installed it (run unchanged). */
export const MEMORY_SERVER = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/server-memory/dist/index.js', import.meta.url))

export interface LoneServers {
  readonly servers: McpServers
  readonly status: ServerStatus
  readonly sync: ServerSync
  readonly host: TestHost
  /** A registration of server-memory run by this Node.js, its graph in the host's data dir, with
   * `env` set for it besides (a "secret" a spec looks for). */
  memory (name?: string, env?: Record<string, string>): McpServerRegistration
  /** Stops the sync, `/plugins` and every server process. */
  close (): Promise<void>
}

/**
 * The registered MCP servers of a lone plugins-role node, as the composition root wires them, on
 * `system` (the registry entity registered here when it is not yet): McpServers, a real plugin
 * host (its supervision on `timings`, short by default) whose ServerSync connects what is registered
 * (every `syncMs`; a spec may run `sync.sync()` itself), `/plugins` answering for it, and the ServerStatus the admin API asks.
 */
export async function loneServers (system: ActorSystem, opts: { syncMs?: number, timings?: Partial<SupervisorTimings> } = {}): Promise<LoneServers> {
  if (!system.entityTypes().some((t) => t.type === mcpServerRegistry.type)) system.registerEntity(mcpServerRegistry)
  const servers = new McpServers(system)
  const host = await testHost(opts.timings === undefined ? {} : { timings: { ...FAST_TIMINGS, ...opts.timings } })
  const { log } = keptLog()
  const sync = new ServerSync({ host: host.host, registrations: async () => await servers.registrations(), serves: () => true, failures: host.failures, log, intervalMs: opts.syncMs ?? 200 })
  const actor = system.spawn(pluginsActor(host.host, sync), { name: PLUGINS_PATH.slice(1) })
  const status = new ServerStatus({ system, members: () => [{ peerId: system.node, status: 'up', roles: ['chat', 'plugins'] }] })
  sync.start()
  return {
    servers,
    status,
    sync,
    host,
    memory: (name = 'memory', env = {}) => ({
      name,
      description: 'a knowledge graph',
      transport: { kind: 'stdio', command: process.execPath, args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: join(host.dataDir, `${name}.jsonl`), ...env } }
    }),
    close: async () => {
      await sync.stop()
      await system.stop(actor as never)
      await host.close()
    }
  }
}
