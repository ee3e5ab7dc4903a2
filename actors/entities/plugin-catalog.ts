import { assertNever } from '../../protocols/index.ts'
import type { EntityContext, EntityType } from '../kernel/index.ts'
import { PluginCatalogError, UnknownPluginError } from './errors.ts'
import {
  MAX_CATALOG_MANIFEST_BYTES, MAX_MEMBER_REPORTS, MAX_PLUGINS, MAX_VERSIONS_PER_PLUGIN, PLUGIN_CATALOG, checkPluginCatalogMsg, manifestBytes
} from './plugin-catalog-protocol.ts'
import type { MemberReport, PluginCatalogEvent, PluginCatalogMsg, PluginCatalogState, PluginEntry, PluginVersion } from './plugin-catalog-protocol.ts'

/**
 * The cluster's plugins: `plugin-catalog/cluster`, one entity on a plugins-role member, journaled
 * and replicated like any other. It holds, per plugin, the versions installed (manifest, the
 * package's digest and size, who installed it and when), which one is active, whether it is
 * enabled, and what each plugins-role member last said it runs. The packages' bytes are not here:
 * each is a `plugin-package/<digest>` entity. Every change is answered once durable.
 */
export const pluginCatalog: EntityType<PluginCatalogMsg, PluginCatalogState, PluginCatalogEvent> = {
  type: PLUGIN_CATALOG.type,
  role: 'plugins',
  initialState: () => ({ plugins: {}, manifestBytes: 0 }),
  applyEvent (state, event) {
    const plugins = { ...state.plugins }
    const was = Object.hasOwn(plugins, event.name) ? plugins[event.name] : undefined
    let bytes = state.manifestBytes
    switch (event.type) {
      case 'version-installed':
        bytes += manifestBytes(event.entry.manifest)
        plugins[event.name] = was === undefined
          ? { name: event.name, versions: { [event.entry.version]: event.entry }, active: event.entry.version, previous: null, enabled: true, changedAt: event.ts, members: {} }
          : { ...was, versions: { ...was.versions, [event.entry.version]: event.entry }, changedAt: event.ts }
        break
      case 'version-forgotten': {
        if (was === undefined || !Object.hasOwn(was.versions, event.version)) break
        const versions = { ...was.versions }
        bytes -= manifestBytes(versions[event.version]?.manifest)
        delete versions[event.version]
        plugins[event.name] = { ...was, versions, previous: was.previous === event.version ? null : was.previous }
        break
      }
      case 'version-activated':
        if (was !== undefined) plugins[event.name] = { ...was, active: event.version, previous: event.previous, changedAt: event.ts }
        break
      case 'plugin-enabled':
      case 'plugin-disabled':
        if (was !== undefined) plugins[event.name] = { ...was, enabled: event.type === 'plugin-enabled', changedAt: event.ts }
        break
      case 'plugin-removed':
        if (was === undefined) break
        for (const v of Object.values(was.versions)) bytes -= manifestBytes(v.manifest)
        delete plugins[event.name]
        break
      case 'member-reported':
        if (was !== undefined) plugins[event.name] = { ...was, members: withReport(was.members, event.node, event.report) }
        break
      default:
        assertNever(event, 'plugin catalog event')
    }
    return { plugins, manifestBytes: bytes }
  },
  check: checkPluginCatalogMsg,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'install':
        return await install(ctx, msg)
      case 'activate':
      case 'rollback':
        return await activate(ctx, msg)
      case 'set-enabled': {
        const entry = known(ctx, msg.name, msg.replyTo)
        if (entry === undefined) return
        if (entry.enabled !== msg.enabled) await ctx.persist({ type: msg.enabled ? 'plugin-enabled' : 'plugin-disabled', name: msg.name, ts: msg.ts })
        return ctx.reply(msg.replyTo, entryOf(ctx.state, msg.name) as PluginEntry)
      }
      case 'remove': {
        const entry = known(ctx, msg.name, msg.replyTo)
        if (entry === undefined) return
        await ctx.persist({ type: 'plugin-removed', name: msg.name })
        return ctx.reply(msg.replyTo, entry)
      }
      case 'report':
        return await report(ctx, msg)
      case 'list':
        return ctx.reply(msg.replyTo, { plugins: Object.values(ctx.state.plugins).sort((a, b) => (a.name < b.name ? -1 : 1)), seq: ctx.seq })
      case 'get': {
        const entry = known(ctx, msg.name, msg.replyTo)
        if (entry !== undefined) ctx.reply(msg.replyTo, entry)
        return
      }
      default:
        assertNever(msg, 'plugin catalog message')
    }
  }
}

type CatalogContext = EntityContext<PluginCatalogMsg, PluginCatalogState, PluginCatalogEvent>
type MsgOf<T extends PluginCatalogMsg['type']> = Extract<PluginCatalogMsg, { type: T }>

function entryOf (state: PluginCatalogState, name: string): PluginEntry | undefined {
  return Object.hasOwn(state.plugins, name) ? state.plugins[name] : undefined
}

/** The plugin, or undefined once the ask was failed with UnknownPluginError. */
function known (ctx: CatalogContext, name: string, replyTo: MsgOf<'get'>['replyTo']): PluginEntry | undefined {
  const entry = entryOf(ctx.state, name)
  if (entry === undefined) ctx.fail(replyTo, new UnknownPluginError(`no plugin named ${name} is installed`))
  return entry
}

async function install (ctx: CatalogContext, msg: MsgOf<'install'>): Promise<void> {
  const entry = entryOf(ctx.state, msg.name)
  const same = entry !== undefined && Object.hasOwn(entry.versions, msg.version) ? entry.versions[msg.version] : undefined
  if (same !== undefined) {
    if (same.digest === msg.digest) return ctx.reply(msg.replyTo, { entry: entry as PluginEntry, installed: false })
    return ctx.fail(msg.replyTo, new PluginCatalogError(`${msg.name} ${msg.version} is installed already with other content (digest ${same.digest.slice(0, 12)}…): a version never changes; give this one a new version`))
  }
  if (entry === undefined && Object.keys(ctx.state.plugins).length >= MAX_PLUGINS) {
    return ctx.fail(msg.replyTo, new PluginCatalogError(`the catalog holds ${MAX_PLUGINS} plugins, the most it keeps: remove one first (plexi admin plugins rm NAME)`))
  }
  const forget = entry === undefined ? undefined : oldestSpare(entry)
  const freed = forget === undefined ? 0 : manifestBytes(forget.manifest)
  if (ctx.state.manifestBytes - freed + manifestBytes(msg.manifest) > MAX_CATALOG_MANIFEST_BYTES) {
    return ctx.fail(msg.replyTo, new PluginCatalogError(`the catalog's manifests would take over ${MAX_CATALOG_MANIFEST_BYTES} bytes: remove plugins first`))
  }
  const version: PluginVersion = { version: msg.version, manifest: msg.manifest, digest: msg.digest, size: msg.size, installedBy: msg.by, installedAt: msg.ts }
  await ctx.persist([
    ...(forget === undefined ? [] : [{ type: 'version-forgotten' as const, name: msg.name, version: forget.version }]),
    { type: 'version-installed', name: msg.name, entry: version, ts: msg.ts }
  ])
  ctx.reply(msg.replyTo, { entry: entryOf(ctx.state, msg.name) as PluginEntry, installed: true })
}

/** The version to forget so that one more fits: the oldest installed that is neither active nor
 * previous (none while there is room). */
function oldestSpare (entry: PluginEntry): PluginVersion | undefined {
  const versions = Object.values(entry.versions)
  if (versions.length < MAX_VERSIONS_PER_PLUGIN) return undefined
  return versions
    .filter((v) => v.version !== entry.active && v.version !== entry.previous)
    .sort((a, b) => a.installedAt - b.installedAt || (a.version < b.version ? -1 : 1))[0]
}

async function activate (ctx: CatalogContext, msg: MsgOf<'activate' | 'rollback'>): Promise<void> {
  const entry = known(ctx, msg.name, msg.replyTo)
  if (entry === undefined) return
  const version = msg.type === 'activate' ? msg.version : entry.previous
  if (version === null) return ctx.fail(msg.replyTo, new PluginCatalogError(`${msg.name} has no previous version to roll back to (it ran only ${entry.active})`))
  if (!Object.hasOwn(entry.versions, version)) {
    return ctx.fail(msg.replyTo, new UnknownPluginError(`${msg.name} ${version} is not installed (installed: ${Object.keys(entry.versions).sort().join(', ')})`))
  }
  if (version !== entry.active) await ctx.persist({ type: 'version-activated', name: msg.name, version, previous: entry.active, ts: msg.ts })
  ctx.reply(msg.replyTo, entryOf(ctx.state, msg.name) as PluginEntry)
}

async function report (ctx: CatalogContext, msg: MsgOf<'report'>): Promise<void> {
  const entry = entryOf(ctx.state, msg.name)
  if (entry === undefined) return ctx.reply(msg.replyTo, false)
  const was = Object.hasOwn(entry.members, msg.node) ? entry.members[msg.node] : undefined
  const r = msg.report
  // only a change is journaled: a member says the same every pass
  const same = was !== undefined && was.version === r.version && was.state === r.state && was.restarts === r.restarts && was.error === r.error
  if (!same) await ctx.persist({ type: 'member-reported', name: msg.name, node: msg.node, report: { version: r.version, state: r.state, restarts: r.restarts, error: r.error, at: r.at } })
  ctx.reply(msg.replyTo, true)
}

/** The members' reports with `node`'s set, the oldest dropped past MAX_MEMBER_REPORTS. */
function withReport (members: Readonly<Record<string, MemberReport>>, node: string, report: MemberReport): Record<string, MemberReport> {
  const next: Record<string, MemberReport> = { ...members, [node]: report }
  const nodes = Object.keys(next)
  if (nodes.length <= MAX_MEMBER_REPORTS) return next
  const oldest = nodes.filter((n) => n !== node).sort((a, b) => (next[a] as MemberReport).at - (next[b] as MemberReport).at || (a < b ? -1 : 1))
  for (const n of oldest.slice(0, nodes.length - MAX_MEMBER_REPORTS)) delete next[n]
  return next
}
