import type { MemberPluginState, PluginEntry } from '../../actors/index.ts'
import type { PluginManifest, PluginPermissions } from '../../protocols/plugins/index.ts'
import type { MemberPluginStatus } from './registry-actor.ts'

/** One member's side of a plugin, as `ls` shows it. */
export interface PluginNodeView {
  readonly node: string
  /** The member's status as this node sees it (`up`, `down`, `draining`…; `gone`: not a member now). */
  readonly member: string
  /** The version serving calls there (null: none). */
  readonly version: string | null
  /** `pending`: it holds the role and has said nothing of this plugin yet. */
  readonly state: MemberPluginState | 'pending'
  readonly restarts: number
  readonly error: string | null
  /** When it last said what it runs (null: never). */
  readonly reportedAt: number | null
  /** From the member now (null: it did not answer, or runs no version of it). */
  readonly calls: number | null
  readonly errors: number | null
  readonly latencyMs: number | null
  readonly memoryBytes: number | null
  /** Every version of it running there now (two during an upgrade). */
  readonly running: readonly string[]
}

export interface PluginVersionView {
  readonly version: string
  readonly digest: string
  readonly size: number
  readonly installedBy: string
  readonly installedAt: number
  /** The plugin API range it works with. */
  readonly plexi: string
}

/** A plugin as the admin API shows it. */
export interface PluginView {
  readonly name: string
  readonly description: string
  readonly active: string
  readonly previous: string | null
  readonly enabled: boolean
  readonly changedAt: number
  /** The active version's manifest, and the permissions it grants its process. */
  readonly manifest: PluginManifest
  readonly permissions: PluginPermissions
  /** Newest installed first. */
  readonly versions: readonly PluginVersionView[]
  /** Each member that runs it or said what it does of it, by peer id. */
  readonly nodes: readonly PluginNodeView[]
}

/** What this node knows of a member. */
export interface MemberInfo {
  readonly peerId: string
  readonly status: string
  readonly roles: readonly string[]
}

/** A plugin's view: the catalog's entry, with what each member said and what those that answered
 * now run (`live`, by peer id). */
export function pluginView (entry: PluginEntry, members: ReadonlyMap<string, MemberInfo>, live: ReadonlyMap<string, MemberPluginStatus>): PluginView {
  const manifest = entry.versions[entry.active]?.manifest as PluginManifest
  const nodes = new Set<string>(Object.keys(entry.members))
  for (const [peer, status] of live) if (status.runs) nodes.add(peer)
  return {
    name: entry.name,
    description: manifest.description,
    active: entry.active,
    previous: entry.previous,
    enabled: entry.enabled,
    changedAt: entry.changedAt,
    manifest,
    permissions: manifest.permissions,
    versions: Object.values(entry.versions).sort((a, b) => b.installedAt - a.installedAt || (a.version < b.version ? 1 : -1)).map((v) => ({
      version: v.version, digest: v.digest, size: v.size, installedBy: v.installedBy, installedAt: v.installedAt, plexi: v.manifest.plexi
    })),
    nodes: [...nodes].sort().map((peer) => nodeView(entry, peer, members.get(peer), live.get(peer)))
  }
}

function nodeView (entry: PluginEntry, peer: string, member: MemberInfo | undefined, live: MemberPluginStatus | undefined): PluginNodeView {
  const said = Object.hasOwn(entry.members, peer) ? entry.members[peer] : undefined
  const versions = (live?.plugins ?? []).filter((p) => p.name === entry.name)
  const version = said?.version ?? null
  // the version it reported serving, else the active one, else whatever runs there
  const serving = versions.find((p) => p.version === version) ?? versions.find((p) => p.version === entry.active) ?? versions[0]
  return {
    node: peer,
    member: member?.status ?? 'gone',
    version,
    state: said?.state ?? 'pending',
    restarts: serving?.restarts ?? said?.restarts ?? 0,
    error: said?.error ?? null,
    reportedAt: said?.at ?? null,
    calls: serving?.calls ?? null,
    errors: serving?.errors ?? null,
    latencyMs: serving?.latencyMs ?? null,
    memoryBytes: serving?.memoryBytes ?? null,
    running: versions.map((p) => p.version)
  }
}
