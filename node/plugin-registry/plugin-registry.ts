import type { ActorSystem, PluginEntry } from '../../actors/index.ts'
import { PLUGIN_NAME_PATTERN, PLUGIN_VERSION_PATTERN } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import { UnknownPeerError } from '../mesh/index.ts'
import { PLUGIN_API_VERSION } from '../../protocols/plugins/index.ts'
import type { PluginManifest } from '../../protocols/plugins/index.ts'
import { isRange, satisfies } from './api-range.ts'
import type { CatalogClient } from './catalog-client.ts'
import { MEMBER_ASK_MS } from './constants.ts'
import { InvalidPluginPackageError, PluginApiVersionError } from './errors.ts'
import { checkLogLines, checkMemberStatus } from './member-status.ts'
import { readPackage } from './package-reader.ts'
import type { PackageStore } from './package-store.ts'
import { pluginView } from './plugin-view.ts'
import type { MemberInfo, PluginView } from './plugin-view.ts'
import { PLUGIN_REGISTRY_PATH } from './registry-actor.ts'
import type { MemberPluginStatus, PluginLogLine, RegistryActorMsg } from './registry-actor.ts'

export interface PluginRegistryOptions {
  readonly system: ActorSystem
  readonly catalog: CatalogClient
  readonly packages: Pick<PackageStore, 'store'>
  /** The plugin host's manifest check (checkPluginManifest): every field, refused with an error
   * that names it. */
  readonly checkManifest: (value: unknown) => PluginManifest
  /** This node and the members it knows. */
  readonly members: () => readonly MemberInfo[]
  readonly log: { debug (obj: object, msg: string): void }
}

/** What an install did. */
export interface Installed {
  readonly plugin: PluginView
  readonly version: string
  readonly digest: string
  /** False when that package was installed already (nothing changed). */
  readonly installed: boolean
}

/** A member's log lines of a plugin. */
export interface MemberLogs {
  readonly node: string
  readonly lines: readonly PluginLogLine[]
}

/**
 * The cluster's plugins as the admin API drives them, from any node: install a package (checked
 * whole, stored in the registry, added to the catalog), list them with what every member runs,
 * enable, disable, upgrade, roll back, remove, and read their logs from every member. After each
 * change every member is told (`/plugin-registry` `changed`), so that the plugins-role members
 * act on it at once rather than at their next pass.
 */
export class PluginRegistry {
  /** What admins did through this node (plexi_plugin_registry_* metrics). */
  readonly stats = { installs: 0, changes: 0 }
  readonly #opts: PluginRegistryOptions

  constructor (opts: PluginRegistryOptions) {
    this.#opts = opts
  }

  /**
   * Installs a package (a .tgz): read and checked whole (readPackage), its manifest checked field
   * by field, its entry a file of the package, its API range against PLUGIN_API_VERSION, its bytes stored and sealed, then the
   * version added to the catalog (a new plugin starts enabled with it active; a new version of an
   * installed plugin waits for an upgrade). `by`: the admin principal.
   */
  async install (bytes: Uint8Array, by: string): Promise<Installed> {
    const pkg = readPackage(bytes)
    refuseOtherApi(pkg.manifest)
    const manifest = this.#opts.checkManifest(pkg.manifest)
    if (!PLUGIN_NAME_PATTERN.test(manifest.name)) throw new InvalidPluginPackageError(`the manifest's name ${JSON.stringify(manifest.name)} is not a plugin name (${PLUGIN_NAME_PATTERN.source})`)
    if (!PLUGIN_VERSION_PATTERN.test(manifest.version)) throw new InvalidPluginPackageError(`the manifest's version ${JSON.stringify(manifest.version)} is not x.y.z with an optional pre-release`)
    const entry = 'node' in manifest.entry ? manifest.entry.node : manifest.entry.command
    const entryPath = entry.split('/').filter((p) => p !== '' && p !== '.').join('/')
    if (!pkg.files.some((f) => f.path === entryPath)) throw new InvalidPluginPackageError(`the manifest's entry ${JSON.stringify(entry)} is not a file of the package`)
    if (!satisfies(PLUGIN_API_VERSION, manifest.plexi)) {
      throw new PluginApiVersionError(`${manifest.name} ${manifest.version} works with the plugin API ${JSON.stringify(manifest.plexi)}, which does not include ${PLUGIN_API_VERSION}, the one this Plexi speaks`)
    }
    const info = await this.#opts.packages.store(bytes)
    const outcome = await this.#opts.catalog.install({ name: manifest.name, version: manifest.version, manifest, digest: info.digest, size: info.size, by })
    if (outcome.installed) {
      this.stats.installs++
      this.#tell()
    }
    return { plugin: await this.#view(outcome.entry), version: manifest.version, digest: info.digest, installed: outcome.installed }
  }

  /** Every plugin, with each member's side; `unreachable`: the members that did not answer. */
  async list (): Promise<{ plugins: PluginView[], unreachable: string[] }> {
    const [view, live] = await Promise.all([this.#opts.catalog.list(), this.#live()])
    const members = this.#members()
    return { plugins: view.plugins.map((p) => pluginView(p, members, live.statuses)), unreachable: live.unreachable }
  }

  async get (name: string): Promise<{ plugin: PluginView, unreachable: string[] }> {
    const [entry, live] = await Promise.all([this.#opts.catalog.get(name), this.#live()])
    return { plugin: pluginView(entry, this.#members(), live.statuses), unreachable: live.unreachable }
  }

  async enable (name: string): Promise<PluginView> { return await this.#change(await this.#opts.catalog.setEnabled(name, true)) }
  async disable (name: string): Promise<PluginView> { return await this.#change(await this.#opts.catalog.setEnabled(name, false)) }
  /** Makes an installed version the active one: every member starts it beside the old one and
   * moves the calls to it once it is up. */
  async upgrade (name: string, version: string): Promise<PluginView> { return await this.#change(await this.#opts.catalog.activate(name, version)) }
  async rollback (name: string): Promise<PluginView> { return await this.#change(await this.#opts.catalog.rollback(name)) }

  /** Forgets the plugin: every member stops it and removes its folder. Answers what it was. */
  async remove (name: string): Promise<PluginView> {
    const entry = await this.#opts.catalog.remove(name)
    this.stats.changes++
    this.#tell()
    return pluginView(entry, this.#members(), new Map())
  }

  /** The last `limit` stderr lines of a plugin on each member that runs plugins (or on `node`). */
  async logs (name: string, limit: number, node?: string): Promise<{ logs: MemberLogs[], unreachable: string[] }> {
    await this.#opts.catalog.get(name)
    if (node !== undefined && !this.#members().has(node)) throw new UnknownPeerError(`no member ${node} in this node's view`)
    const peers = this.#pluginMembers().filter((m) => node === undefined || m.peerId === node).map((m) => m.peerId)
    const unreachable: string[] = []
    const logs = await Promise.all(peers.map(async (peer) => {
      const lines = checkLogLines(await this.#ask(peer, (replyTo) => ({ type: 'logs', name, limit, replyTo })))
      if (lines === undefined) unreachable.push(peer)
      return { node: peer, lines: lines ?? [] }
    }))
    return { logs: logs.filter((l) => !unreachable.includes(l.node)), unreachable: unreachable.sort() }
  }

  async #change (entry: PluginEntry): Promise<PluginView> {
    this.stats.changes++
    this.#tell()
    return await this.#view(entry)
  }

  async #view (entry: PluginEntry): Promise<PluginView> {
    return pluginView(entry, this.#members(), (await this.#live()).statuses)
  }

  /** Tells every member the catalog changed (a tell: a member that misses it catches up on its
   * next pass). */
  #tell (): void {
    const { system } = this.#opts
    for (const m of this.#pluginMembers()) system.actorAt<RegistryActorMsg>({ node: m.peerId, path: PLUGIN_REGISTRY_PATH }).tell({ type: 'changed' })
  }

  #members (): Map<string, MemberInfo> {
    return new Map(this.#opts.members().map((m) => [m.peerId, m]))
  }

  /** The members that hold the plugins role and are not down. */
  #pluginMembers (): MemberInfo[] {
    return this.#opts.members().filter((m) => m.status !== 'down' && m.roles.includes('plugins'))
  }

  /** What each plugins-role member runs now. */
  async #live (): Promise<{ statuses: Map<string, MemberPluginStatus>, unreachable: string[] }> {
    const statuses = new Map<string, MemberPluginStatus>()
    const unreachable: string[] = []
    await Promise.all(this.#pluginMembers().map(async (m) => {
      const status = checkMemberStatus(await this.#ask(m.peerId, (replyTo) => ({ type: 'status', replyTo })), m.peerId)
      if (status === undefined) unreachable.push(m.peerId)
      else statuses.set(m.peerId, status)
    }))
    return { statuses, unreachable: unreachable.sort() }
  }

  /** A member's answer, or undefined when it did not answer in time (logged at debug). */
  async #ask (peer: string, msg: (replyTo: never) => RegistryActorMsg): Promise<unknown> {
    try {
      return await this.#opts.system.actorAt<RegistryActorMsg>({ node: peer, path: PLUGIN_REGISTRY_PATH }).ask<unknown>(msg as never, { timeout: MEMBER_ASK_MS })
    } catch (err) {
      this.#opts.log.debug({ peer, err }, `member ${peer} did not answer about its plugins: ${describe(err)}`)
      return undefined
    }
  }
}

/** A manifest whose `plexi` range this grammar reads and that leaves PLUGIN_API_VERSION out is
 * refused as written for another plugin API (PluginApiVersionError, naming both) before its fields
 * are checked one by one: the manifest check would refuse it too, as a bad `plexi` field, which
 * tells its author less. */
function refuseOtherApi (value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return
  const { name, version, plexi } = value as Record<string, unknown>
  if (typeof plexi !== 'string' || !isRange(plexi) || satisfies(PLUGIN_API_VERSION, plexi)) return
  const said = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 64) : '?')
  throw new PluginApiVersionError(`${said(name)} ${said(version)} works with the plugin API ${JSON.stringify(plexi)}, which does not include ${PLUGIN_API_VERSION}, the one this Plexi speaks`)
}
