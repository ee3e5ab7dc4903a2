import { MAX_MANIFEST_BYTES, SOURCE_NAME_PATTERN } from '../../protocols/plugins/index.ts'
import type { PluginManifest } from '../../protocols/plugins/index.ts'
import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

/** One installed version of a plugin: its manifest, and where its package's bytes are (the
 * `plugin-package/<digest>` entity). A version's content never changes once installed. */
export interface PluginVersion {
  readonly version: string
  readonly manifest: PluginManifest
  /** SHA-256 (hex) of the package's bytes (the .tgz). */
  readonly digest: string
  readonly size: number
  /** Who installed it: the admin principal (`admin`, `token:NAME`). */
  readonly installedBy: string
  readonly installedAt: number
}

/** What a plugins-role member runs of a plugin, as it last said. */
export type MemberPluginState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped'
export const MEMBER_PLUGIN_STATES: readonly MemberPluginState[] = ['starting', 'running', 'restarting', 'failed', 'stopped']

export interface MemberReport {
  /** The version serving calls there (null: none). */
  readonly version: string | null
  readonly state: MemberPluginState
  /** Restarts of its process since it started there. */
  readonly restarts: number
  /** Why it is failed or restarting (null: it is not). */
  readonly error: string | null
  /** When the member said so (ms since the epoch, its clock). */
  readonly at: number
}

/** One plugin as the cluster knows it. */
export interface PluginEntry {
  readonly name: string
  /** By version. */
  readonly versions: Readonly<Record<string, PluginVersion>>
  /** The version every plugins-role member runs. */
  readonly active: string
  /** The version active before the last change of `active` (rollback goes back to it), if kept. */
  readonly previous: string | null
  readonly enabled: boolean
  /** When it was last installed, activated, enabled or disabled. */
  readonly changedAt: number
  /** By member peer id: what it runs (MAX_MEMBER_REPORTS at most, the oldest dropped first). */
  readonly members: Readonly<Record<string, MemberReport>>
}

/** What `install` did: the plugin now, and whether that version was new (false: the same package
 * was installed already). */
export interface InstallOutcome {
  readonly entry: PluginEntry
  readonly installed: boolean
}

export type PluginCatalogMsg =
  /** Adds a version (its package stored first); a new plugin starts enabled with it active. The same
   * version again with the same digest is answered as it is; with another digest it is refused. */
  | { readonly type: 'install', readonly name: string, readonly version: string, readonly manifest: PluginManifest, readonly digest: string, readonly size: number,
    readonly by: string, readonly ts: number, readonly replyTo: ReplyTo<InstallOutcome> }
  /** Makes an installed version the active one (an upgrade, or a downgrade by version); the active one
   * becomes `previous`. Asking for the active version changes nothing. */
  | { readonly type: 'activate', readonly name: string, readonly version: string, readonly ts: number, readonly replyTo: ReplyTo<PluginEntry> }
  /** Makes `previous` active again (and the active one `previous`): refused when there is none. */
  | { readonly type: 'rollback', readonly name: string, readonly ts: number, readonly replyTo: ReplyTo<PluginEntry> }
  | { readonly type: 'set-enabled', readonly name: string, readonly enabled: boolean, readonly ts: number, readonly replyTo: ReplyTo<PluginEntry> }
  /** Forgets the plugin and every version of it; replies with what it was. */
  | { readonly type: 'remove', readonly name: string, readonly replyTo: ReplyTo<PluginEntry> }
  /** A member says what it runs; journaled only when it changed. Replies false for a plugin the
   * catalog does not have (removed meanwhile): nothing is kept. */
  | { readonly type: 'report', readonly name: string, readonly node: string, readonly report: MemberReport, readonly replyTo: ReplyTo<boolean> }
  /** Every plugin, by name; `seq` grows with every change. */
  | { readonly type: 'list', readonly replyTo: ReplyTo<PluginCatalogView> }
  | { readonly type: 'get', readonly name: string, readonly replyTo: ReplyTo<PluginEntry> }

export interface PluginCatalogView {
  readonly plugins: readonly PluginEntry[]
  readonly seq: number
}

export type PluginCatalogEvent =
  | { readonly type: 'version-installed', readonly name: string, readonly entry: PluginVersion, readonly ts: number }
  | { readonly type: 'version-forgotten', readonly name: string, readonly version: string }
  | { readonly type: 'version-activated', readonly name: string, readonly version: string, readonly previous: string | null, readonly ts: number }
  | { readonly type: 'plugin-enabled', readonly name: string, readonly ts: number }
  | { readonly type: 'plugin-disabled', readonly name: string, readonly ts: number }
  | { readonly type: 'plugin-removed', readonly name: string }
  | { readonly type: 'member-reported', readonly name: string, readonly node: string, readonly report: MemberReport }

export interface PluginCatalogState {
  /** By name (SOURCE_NAME_PATTERN: none is special to JavaScript). */
  readonly plugins: Readonly<Record<string, PluginEntry>>
  /** The JSON bytes of every manifest kept (MAX_CATALOG_MANIFEST_BYTES at most). */
  readonly manifestBytes: number
}

/** The cluster's plugins: `plugin-catalog/cluster`, one entity on a plugins-role member. */
export const PLUGIN_CATALOG = entityTypeKey<PluginCatalogMsg>('plugin-catalog')
export const PLUGIN_CATALOG_KEY = 'cluster'
/** Plugins the catalog keeps: each runs as a process on every plugins-role member. */
export const MAX_PLUGINS = 64
/** Versions kept per plugin: installing one more forgets the oldest that is neither active nor
 * previous (its package's bytes stay in the journal, which is never trimmed). */
export const MAX_VERSIONS_PER_PLUGIN = 4
/** Members' reports kept per plugin (members that left are forgotten oldest first). */
export const MAX_MEMBER_REPORTS = 64
/** Every manifest kept, JSON-encoded, at most: the catalog is snapshotted whole, and a snapshot
 * crosses the mesh in one frame (4 MiB). */
export const MAX_CATALOG_MANIFEST_BYTES = 1_048_576
/** A member's error text, at most (clipped by the member). */
export const MAX_REPORT_ERROR = 500
/** A plugin version: semver x.y.z with an optional pre-release (no build part): it names a
 * folder under the data dir, so nothing else is allowed. */
export const PLUGIN_VERSION_PATTERN = /^(?:0|[1-9]\d{0,8})\.(?:0|[1-9]\d{0,8})\.(?:0|[1-9]\d{0,8})(?:-[0-9A-Za-z-]{1,20}(?:\.[0-9A-Za-z-]{1,20}){0,3})?$/
export const PLUGIN_NAME_PATTERN = new RegExp(SOURCE_NAME_PATTERN)
/** A package's digest: SHA-256 in hex. */
export const PACKAGE_DIGEST_PATTERN = /^[0-9a-f]{64}$/
const MAX_PRINCIPAL = 64

const NAME = `a plugin name (${SOURCE_NAME_PATTERN})`
const VERSION = 'a plugin version (x.y.z, with an optional pre-release)'

const FIELD_CHECKS: { readonly [T in PluginCatalogMsg['type']]: (m: MessageCheck) => void } = {
  install (m) {
    const name = m.matching('name', PLUGIN_NAME_PATTERN, NAME)
    const version = m.matching('version', PLUGIN_VERSION_PATTERN, VERSION)
    checkManifestRecord(m, name, version)
    m.matching('digest', PACKAGE_DIGEST_PATTERN, 'a SHA-256 digest (64 hex digits)')
    m.integer('size', 1, Number.MAX_SAFE_INTEGER)
    m.string('by', MAX_PRINCIPAL)
    m.number('ts')
    m.replyTo()
  },
  activate (m) {
    m.matching('name', PLUGIN_NAME_PATTERN, NAME)
    m.matching('version', PLUGIN_VERSION_PATTERN, VERSION)
    m.number('ts')
    m.replyTo()
  },
  rollback (m) { nameTsReply(m) },
  'set-enabled' (m) {
    nameTsReply(m)
    if (typeof m.raw('enabled') !== 'boolean') m.refuse('enabled', 'true or false')
  },
  remove (m) {
    m.matching('name', PLUGIN_NAME_PATTERN, NAME)
    m.replyTo()
  },
  report (m) {
    m.matching('name', PLUGIN_NAME_PATTERN, NAME)
    m.string('node', 128)
    const report = m.object('report')
    if (report.raw('version') !== null) report.matching('version', PLUGIN_VERSION_PATTERN, VERSION)
    report.oneOf('state', MEMBER_PLUGIN_STATES)
    report.integer('restarts', 0, Number.MAX_SAFE_INTEGER)
    if (report.raw('error') !== null) report.string('error', MAX_REPORT_ERROR)
    report.number('at')
    m.replyTo()
  },
  list (m) { m.replyTo() },
  get (m) {
    m.matching('name', PLUGIN_NAME_PATTERN, NAME)
    m.replyTo()
  }
}

const PLUGIN_CATALOG_MSG_TYPES = Object.keys(FIELD_CHECKS)

/** The catalog's EntityType.check: names, versions, digests and manifests well formed. */
export function checkPluginCatalogMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'plugin catalog message')
  if (!Object.hasOwn(FIELD_CHECKS, m.type)) m.unknownType(PLUGIN_CATALOG_MSG_TYPES)
  FIELD_CHECKS[m.type as PluginCatalogMsg['type']](m)
}

/** The JSON bytes a manifest takes in the catalog. */
export function manifestBytes (manifest: unknown): number {
  return Buffer.byteLength(JSON.stringify(manifest), 'utf8')
}

function nameTsReply (m: MessageCheck): void {
  m.matching('name', PLUGIN_NAME_PATTERN, NAME)
  m.number('ts')
  m.replyTo()
}

/** A manifest as the catalog keeps it: an object naming this plugin and version, within
 * MAX_MANIFEST_BYTES as JSON (the installing node checked every field with checkPluginManifest). */
function checkManifestRecord (m: MessageCheck, name: string, version: string): void {
  const manifest = m.object('manifest')
  if (manifest.raw('name') !== name) m.refuse('manifest', `a manifest whose name is ${name}`)
  if (manifest.raw('version') !== version) m.refuse('manifest', `a manifest whose version is ${version}`)
  let bytes: number
  try {
    bytes = manifestBytes(m.raw('manifest'))
  } catch {
    return m.refuse('manifest', 'a manifest JSON can hold')
  }
  if (bytes > MAX_MANIFEST_BYTES) m.refuse('manifest', `a manifest of at most ${MAX_MANIFEST_BYTES} bytes as JSON`)
}
