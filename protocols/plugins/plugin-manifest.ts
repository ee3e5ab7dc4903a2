import { realpathSync, statSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import { isAbsolute, normalize } from 'node:path/posix'
import { DEFAULT_TOOL_DEADLINE_MS, MAX_BEFORE_POST_BUDGET_MS, MAX_ENTRY_ARGS, MAX_PERMISSION_ENTRIES, MAX_PLUGIN_DESCRIPTION, MAX_PLUGIN_MEMORY_MIB, MIN_PLUGIN_MEMORY_MIB, PLUGIN_API_VERSION, SOURCE_NAME_PATTERN } from './constants.ts'
import { InvalidPluginManifestError } from './errors.ts'
import { isSemver, isSemverRange, satisfiesRange } from './semver-range.ts'

/**
 * A plugin's manifest: `plexi-plugin.json` at the root of its package (docs/plugins.md). What the
 * node reads before it starts anything of the plugin; checked field by field (checkPluginManifest,
 * with an error naming the field), and the permissions it asks for are shown to the admin who
 * installs it and enforced on its process.
 */
export interface PluginManifest {
  /** SOURCE_NAME_PATTERN: it prefixes the plugin's tools. */
  readonly name: string
  /** Semver (x.y.z, with an optional pre-release). */
  readonly version: string
  readonly description: string
  /** The range of Plexi's plugin API it works with (a semver range: `^1.0.0`). */
  readonly plexi: string
  /** How to start it: a JavaScript file run by the node's own Node.js under its permission model,
   * or a command (any MCP server over stdio), relative to the package root. */
  readonly entry: { readonly node: string } | { readonly command: string, readonly args?: readonly string[] }
  readonly permissions: PluginPermissions
  /** A tool call's deadline (ms), at most DEFAULT_TOOL_DEADLINE_MS unless an admin raises it. */
  readonly callDeadlineMs?: number
  /** A before-post hook's budget and what a post gets when the hook does not answer in it. */
  readonly beforePost?: { readonly budgetMs?: number, readonly onFailure?: 'allow' | 'refuse' }
}

/** What the plugin's process may do beyond reading its own package; everything else is denied
 * where the platform lets it be (docs/plugins.md says what is enforced on Linux). */
export interface PluginPermissions {
  /** Paths it may read, relative to its own data folder (its package is always readable). */
  readonly read?: readonly string[]
  /** Paths it may write, relative to its own data folder (`.` for the folder itself). */
  readonly write?: readonly string[]
  /** It may open network connections. */
  readonly network?: boolean
  /** It may start child processes. */
  readonly childProcess?: boolean
  /** It may load native addons. */
  readonly addons?: boolean
  /** Environment variables it gets from the node's (none otherwise). */
  readonly env?: readonly string[]
  /** Its memory cap (MiB), at most MAX_PLUGIN_MEMORY_MIB (@default DEFAULT_PLUGIN_MEMORY_MIB). */
  readonly memoryMiB?: number
}

/** Environment variables a manifest may not ask for: the node's own configuration (its tokens and
 * key files are PLEXI_*), and NODE_OPTIONS, which could lift the permission model. */
const FORBIDDEN_ENV = /^(PLEXI_|NODE_OPTIONS$)/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/
const MAX_PATH = 1_024
const MAX_ARG = 4_096
const TOP_FIELDS = new Set(['name', 'version', 'description', 'plexi', 'entry', 'permissions', 'callDeadlineMs', 'beforePost'])
const PERMISSION_FIELDS = new Set(['read', 'write', 'network', 'childProcess', 'addons', 'env', 'memoryMiB'])

export interface CheckManifestOptions {
  /** The package's folder: the entry must then be a file inside it (symbolic links resolved), and
   * a command entry executable. Without it only the paths' text is checked. */
  readonly packageDir?: string
}

/**
 * `value` (a parsed plexi-plugin.json) as a PluginManifest, every field checked: the name, semver
 * version, a plugin API range that includes PLUGIN_API_VERSION, an entry inside the package, the
 * permissions (paths inside the plugin's data folder, known variables, a memory cap within the
 * limits), the deadlines. Unknown fields are refused (a misspelt `permissions` would otherwise be
 * read as none asked). Throws InvalidPluginManifestError naming the first field at fault.
 */
export function checkPluginManifest (value: unknown, opts: CheckManifestOptions = {}): PluginManifest {
  const m = object(value, 'the manifest')
  unknownFields(m, TOP_FIELDS, '')
  if (typeof m.name !== 'string' || !new RegExp(SOURCE_NAME_PATTERN).test(m.name)) fail('name', `expected a lowercase name matching ${SOURCE_NAME_PATTERN}, got ${shown(m.name)}`)
  if (!isSemver(m.version)) fail('version', `expected a semantic version such as 1.0.0, got ${shown(m.version)}`)
  if (typeof m.description !== 'string' || m.description.length > MAX_PLUGIN_DESCRIPTION) fail('description', `expected a string of at most ${MAX_PLUGIN_DESCRIPTION} characters`)
  if (!isSemverRange(m.plexi)) fail('plexi', `expected a semver range of the plugin API such as ^1.0.0, got ${shown(m.plexi)}`)
  if (!satisfiesRange(PLUGIN_API_VERSION, m.plexi as string)) fail('plexi', `${shown(m.plexi)} does not include this node's plugin API ${PLUGIN_API_VERSION}`)
  const entry = checkEntry(m.entry, opts.packageDir)
  const permissions = checkPermissions(m.permissions)
  if (m.callDeadlineMs !== undefined) integer(m.callDeadlineMs, 'callDeadlineMs', 1, DEFAULT_TOOL_DEADLINE_MS)
  const beforePost = m.beforePost === undefined ? undefined : checkBeforePost(m.beforePost)
  return {
    name: m.name as string,
    version: m.version as string,
    description: m.description as string,
    plexi: m.plexi as string,
    entry,
    permissions,
    ...(m.callDeadlineMs !== undefined && { callDeadlineMs: m.callDeadlineMs as number }),
    ...(beforePost !== undefined && { beforePost })
  }
}

function checkEntry (value: unknown, packageDir: string | undefined): PluginManifest['entry'] {
  const e = object(value, 'entry')
  const hasNode = Object.hasOwn(e, 'node')
  const hasCommand = Object.hasOwn(e, 'command')
  if (hasNode === hasCommand) fail('entry', 'expected either { "node": "path/to/main.js" } or { "command": "path/to/program", "args": [...] }')
  if (hasNode) {
    unknownFields(e, new Set(['node']), 'entry.')
    return { node: packagePath(e.node, 'entry.node', packageDir, false) }
  }
  unknownFields(e, new Set(['command', 'args']), 'entry.')
  const command = packagePath(e.command, 'entry.command', packageDir, true)
  if (e.args === undefined) return { command }
  if (!Array.isArray(e.args) || e.args.length > MAX_ENTRY_ARGS) fail('entry.args', `expected a list of at most ${MAX_ENTRY_ARGS} strings`)
  const args = e.args as unknown[]
  args.forEach((a, i) => { if (typeof a !== 'string' || a.length > MAX_ARG || a.includes('\0')) fail(`entry.args[${i}]`, `expected a string of at most ${MAX_ARG} characters`) })
  return { command, args: args as string[] }
}

function checkPermissions (value: unknown): PluginPermissions {
  const p = object(value, 'permissions')
  unknownFields(p, PERMISSION_FIELDS, 'permissions.')
  const out: { -readonly [K in keyof PluginPermissions]: PluginPermissions[K] } = {}
  for (const key of ['read', 'write'] as const) {
    if (p[key] !== undefined) out[key] = list(p[key], `permissions.${key}`, (x, field) => dataPath(x, field))
  }
  for (const key of ['network', 'childProcess', 'addons'] as const) {
    if (p[key] === undefined) continue
    if (typeof p[key] !== 'boolean') fail(`permissions.${key}`, `expected true or false, got ${shown(p[key])}`)
    out[key] = p[key]
  }
  if (p.env !== undefined) {
    out.env = list(p.env, 'permissions.env', (x, field) => {
      if (typeof x !== 'string' || !ENV_NAME.test(x)) fail(field, `expected an environment variable name, got ${shown(x)}`)
      if (FORBIDDEN_ENV.test(x as string)) fail(field, `${x as string} is the node's own (PLEXI_* and NODE_OPTIONS are never given to a plugin)`)
      return x as string
    })
  }
  if (p.memoryMiB !== undefined) out.memoryMiB = integer(p.memoryMiB, 'permissions.memoryMiB', MIN_PLUGIN_MEMORY_MIB, MAX_PLUGIN_MEMORY_MIB)
  return out
}

function checkBeforePost (value: unknown): NonNullable<PluginManifest['beforePost']> {
  const b = object(value, 'beforePost')
  unknownFields(b, new Set(['budgetMs', 'onFailure']), 'beforePost.')
  const budgetMs = b.budgetMs === undefined ? undefined : integer(b.budgetMs, 'beforePost.budgetMs', 1, MAX_BEFORE_POST_BUDGET_MS)
  if (b.onFailure !== undefined && b.onFailure !== 'allow' && b.onFailure !== 'refuse') fail('beforePost.onFailure', `expected "allow" or "refuse", got ${shown(b.onFailure)}`)
  return { ...(budgetMs !== undefined && { budgetMs }), ...(b.onFailure !== undefined && { onFailure: b.onFailure as 'allow' | 'refuse' }) }
}

/** A relative path that stays inside the package; with `packageDir`, a file there (an executable
 * one for a command), its symbolic links resolved inside the package too. */
function packagePath (value: unknown, field: string, packageDir: string | undefined, executable: boolean): string {
  const rel = relativeInside(value, field, 'the package')
  if (packageDir === undefined) return rel
  let real: string
  let root: string
  let stat: ReturnType<typeof statSync>
  try {
    root = realpathSync(packageDir)
    real = realpathSync(resolve(root, rel))
    stat = statSync(real)
  } catch {
    return fail(field, `${rel} is not in the package`)
  }
  if (!isInside(root, real)) fail(field, `${rel} leads outside the package (through a symbolic link)`)
  if (!stat.isFile()) fail(field, `${rel} is not a file`)
  if (executable && (stat.mode & 0o111) === 0) fail(field, `${rel} is not executable (chmod +x)`)
  return rel
}

/** A path under the plugin's data folder (`.` is the folder itself). */
function dataPath (value: unknown, field: string): string {
  return relativeInside(value, field, 'the plugin\'s data folder')
}

/** A relative path, normalized, that does not climb out of where it is relative to. */
function relativeInside (value: unknown, field: string, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PATH || value.includes('\0')) fail(field, `expected a relative path of at most ${MAX_PATH} characters, got ${shown(value)}`)
  const text = (value as string).replaceAll('\\', '/')
  if (isAbsolute(text) || /^[A-Za-z]:/.test(text)) fail(field, `${shown(value)} is absolute: paths are relative to ${where}`)
  const norm = normalize(text).replace(/\/+$/, '')
  if (norm === '..' || norm.startsWith('../')) fail(field, `${shown(value)} leads outside ${where}`)
  return norm === '' ? '.' : norm
}

function isInside (root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)
}

function list<T> (value: unknown, field: string, item: (x: unknown, field: string) => T): T[] {
  if (!Array.isArray(value) || value.length > MAX_PERMISSION_ENTRIES) fail(field, `expected a list of at most ${MAX_PERMISSION_ENTRIES} entries`)
  return (value as unknown[]).map((x, i) => item(x, `${field}[${i}]`))
}

function object (value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field === 'the manifest' ? '(root)' : field, 'expected a JSON object')
  return value as Record<string, unknown>
}

function unknownFields (o: Record<string, unknown>, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(o)) if (!known.has(key)) fail(`${prefix}${key.slice(0, 64)}`, `not a field of the manifest (expected one of ${[...known].join(', ')})`)
}

function integer (value: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) fail(field, `expected an integer from ${min} to ${max}, got ${shown(value)}`)
  return value as number
}

function fail (field: string, why: string): never {
  throw new InvalidPluginManifestError(field, why)
}

function shown (value: unknown): string {
  let text: string
  try {
    text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value)
  } catch {
    text = typeof value
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
