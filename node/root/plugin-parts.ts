import { pluginMetrics } from '../metrics/index.ts'
import { POST_HOOKS } from '../../actors/index.ts'
import { PluginCallStats } from '../plugin-registry/index.ts'
import { PostHooksResume } from '../room-plugins/index.ts'
import { memberOf } from '../mesh/index.ts'
import { ClusterPlugins, ClusterTools, McpServers, PLUGINS_PATH, PluginHost, ServerStatus, ServerSync, pluginsActor } from '../plugins/index.ts'
import type { PluginsMsg } from '../plugins/index.ts'
import { SearchTool } from '../search/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * The plugin host, on a plugins-role member: plugins and registered MCP servers as sandboxed,
 * supervised processes (or HTTP connections), `/plugins` answering the cluster's calls for them,
 * the connections to the registered servers kept in step with the registry, the member record
 * saying what runs here, and the plugin metrics. Stopped before the mesh: its sources stop first
 * (calls in flight drain, bounded).
 */
export const pluginHostPart: PartSpec<NodeComponents> = {
  id: 'plugins',
  needs: ['config', 'log', 'roles', 'system', 'self', 'membership', 'metrics', 'serviceFailures'],
  gives: ['pluginHost', 'pluginCalls'],
  runs: (c: C) => c.get('roles').has('plugins'),
  start: async (c: C) => {
    const log = c.get('log').child({ component: 'plugins' })
    const system = c.get('system')
    const membership = c.get('membership')
    const calls = new PluginCallStats()
    let host: PluginHost | undefined
    const metrics = pluginMetrics(c.get('metrics').registry, () => host)
    host = await PluginHost.open({
      dataDir: c.get('config').dataDir,
      log,
      failures: c.get('serviceFailures'),
      // each call counted for the metrics and for the registry's status per node
      onCall: (source, outcome, seconds) => {
        metrics.observeCall(source, outcome, seconds)
        calls.observe(source, outcome, seconds)
      },
      // the cluster hears at once what runs here now (a node without a plugin calls its tools here)
      onChange: () => { membership.announce() }
    })
    const running = host
    const roles = c.get('roles')
    const servers = new McpServers(system)
    const sync = new ServerSync({ host: running, registrations: async () => await servers.registrations(), serves: () => roles.has('plugins'), failures: c.get('serviceFailures'), log })
    system.spawn(pluginsActor(running, sync), { name: PLUGINS_PATH.slice(1), kind: 'plugins', mailbox: 4_096 })
    c.get('self').bindSources(() => ({
      plugins: running.running().filter((r) => r.state === 'up').map((r) => ({ name: r.name, version: r.version })),
      servers: running.servers().filter((s) => s.state === 'up').map((s) => s.name)
    }))
    sync.start()
    c.provide('pluginHost', running, 'plugins')
    c.provide('pluginCalls', calls, 'plugins')
    return {
      stop: async () => {
        await sync.stop()
        await running.close()
      }
    }
  }
}

/**
 * Tools for the whole node, on every member: ClusterTools (the node's ToolProvider: its own
 * host's sources, else a member that runs them) with no tool allowed until a policy grants one,
 * ClusterPlugins (the plugins' commands and hooks, and Plexi requests, for the rooms), and
 * McpServers (the registry of MCP servers an admin registers for the cluster) with ServerStatus
 * (each plugins-role member's connection to each, for the admin API).
 */
export const toolsPart: PartSpec<NodeComponents> = {
  id: 'tools',
  needs: ['log', 'preflight', 'roles', 'system', 'cluster', 'pluginHost', 'toolPolicy', 'toolsPort', 'roomPluginsPort', 'serviceFailures', 'search'],
  gives: ['tools', 'clusterPlugins', 'mcpServers', 'mcpServerStatus'],
  start: (c: C) => {
    const system = c.get('system')
    const cluster = c.get('cluster')
    const host = c.get('pluginHost')
    const reach = {
      self: c.get('preflight').identity.peerId,
      host: () => host,
      members: () => cluster.members(),
      ask: async <R>(peer: string, build: (replyTo: never) => PluginsMsg, timeoutMs: number, signal?: AbortSignal): Promise<R> =>
        await system.actorAt<PluginsMsg>({ node: peer, path: PLUGINS_PATH }).ask<R>(build as never, { timeout: timeoutMs, ...(signal !== undefined && { signal }) }),
      log: c.get('log').child({ component: 'tools' })
    }
    // what each user's agent may call: their admin's grants, less what they turned off
    const policy = c.get('toolPolicy')
    const tools = new ClusterTools({ ...reach, allowed: async (user, tool) => await policy.allowed(user, tool) })
    const plugins = new ClusterPlugins(reach)
    // agents also get search built in (plexi__search, granted like any tool), run as their user
    const search = c.get('search')
    c.get('toolsPort').bind(new SearchTool({ inner: tools, search: async (q, v) => await search.search(q, v), allowed: policy.allowed }))
    const rooms = c.get('roomPluginsPort')
    rooms.bind(plugins, { failures: c.get('serviceFailures'), log: c.get('log').child({ component: 'room-plugins' }) })
    c.provide('tools', tools, 'tools')
    c.provide('clusterPlugins', plugins, 'tools')
    c.provide('mcpServers', new McpServers(system), 'tools')
    const roles = c.get('roles')
    c.provide('mcpServerStatus', new ServerStatus({
      system,
      members: () => [{ peerId: system.node, status: 'up', roles: roles.current }, ...cluster.members().map(memberOf)],
      log: reach.log
    }), 'tools')
    return { stop: async () => { await rooms.stop() } }
  }
}

/** After-post delivery goes on after a restart: every after-post plugin's post-hooks entity is told
 * to resume, at start and then every few seconds (an entity running takes it as a no-op). */
export const postHooksResumePart: PartSpec<NodeComponents> = {
  id: 'post-hooks-resume',
  needs: ['log', 'system', 'roomPlugins', 'serviceFailures'],
  gives: [],
  start: (c: C) => {
    const system = c.get('system')
    const resume = new PostHooksResume({
      plugins: c.get('roomPlugins'),
      resume: (plugin) => { system.entity(POST_HOOKS, plugin).tell({ type: 'resume' }) },
      failures: c.get('serviceFailures'),
      log: c.get('log').child({ component: 'room-plugins' })
    })
    resume.start()
    return { stop: async () => { await resume.stop() } }
  }
}
