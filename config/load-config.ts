import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { extname, join, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { CONFIG_SCHEMA, ROLES, camel, envName } from './config-schema.ts'
import { ConfigError } from './config-error.ts'
import type { HostPort, KeySpec, KeyType, NodeConfig } from './config-schema.ts'

/** Where a value came from, in precedence order. */
export type Source = 'flag' | 'env' | 'file' | 'default'

export interface LoadConfigOptions {
  /** Flag values by key (`grpc-listen`), as the CLI parsed them; undefined = not given. */
  readonly flags?: Readonly<Record<string, unknown>>
  /** The environment (PLEXI_* twins). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Relative paths in flags, env and the file resolve against this. @default process.cwd() */
  readonly cwd?: string
}

export interface LoadedConfig {
  readonly config: NodeConfig
  readonly sources: Readonly<Record<string, Source>>
  /** The config file read, if any (from --config or PLEXI_CONFIG). */
  readonly file: string | undefined
}

/**
 * Builds the node configuration: flags > env `PLEXI_*` > config file (`--config`, JSON or YAML)
 * > defaults. Unknown file keys and bad values throw ConfigError naming the key, where the value
 * came from, and the expected form.
 */
export async function loadConfig (options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const flags = options.flags ?? {}
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const fileFlag = flags.config ?? nonEmpty(env.PLEXI_CONFIG)
  let file: string | undefined
  let fileValues: Record<string, unknown> = {}
  if (fileFlag !== undefined) {
    if (typeof fileFlag !== 'string' || fileFlag.length === 0) {
      throw new ConfigError('config', `${flags.config !== undefined ? '--config' : 'PLEXI_CONFIG'}: expected a file path`)
    }
    file = resolve(cwd, fileFlag)
    fileValues = await readConfigFile(file)
  }
  const values: Record<string, unknown> = {}
  const sources: Record<string, Source> = {}
  for (const spec of CONFIG_SCHEMA) {
    const picked = pick(spec, flags, env, fileValues)
    if (picked === undefined) continue
    const where = picked.source === 'flag'
      ? `--${spec.key}`
      : picked.source === 'env' ? envName(spec.key) : picked.source === 'file' ? `${spec.key} in ${file ?? ''}` : 'the default'
    let value = parseValue(spec, picked.raw, where)
    if (spec.type.kind === 'path' && typeof value === 'string') value = resolve(cwd, value)
    values[camel(spec.key)] = value
    sources[spec.key] = picked.source
  }
  if (values.modelsDir === undefined) {
    values.modelsDir = join(values.dataDir as string, 'models')
    sources['models-dir'] = 'default'
  }
  return { config: values as unknown as NodeConfig, sources, file }
}

function pick (spec: KeySpec, flags: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>,
  file: Record<string, unknown>): { raw: unknown, source: Source } | undefined {
  if (flags[spec.key] !== undefined) return { raw: flags[spec.key], source: 'flag' }
  const fromEnv = nonEmpty(env[envName(spec.key)])
  if (fromEnv !== undefined) return { raw: fromEnv, source: 'env' }
  if (file[spec.key] !== undefined && file[spec.key] !== null) return { raw: file[spec.key], source: 'file' }
  if (spec.default !== undefined) return { raw: spec.default, source: 'default' }
  return undefined
}

async function readConfigFile (file: string): Promise<Record<string, unknown>> {
  const ext = extname(file).toLowerCase()
  if (!['.json', '.yaml', '.yml'].includes(ext)) {
    throw new ConfigError('config', `${file}: expected a .json, .yaml or .yml file`)
  }
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError('config', `cannot read ${file}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    // yaml (72 modules) only for a YAML file: most nodes are configured by flags and env
    parsed = ext === '.json' ? JSON.parse(text) : (await import('yaml')).parse(text)
  } catch (err) {
    throw new ConfigError('config', `${file} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`)
  }
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('config', `${file}: expected a mapping of keys to values at the top level`)
  }
  const known = new Set(CONFIG_SCHEMA.map((s) => s.key))
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) {
      const hint = closest(key, [...known])
      throw new ConfigError(key, `unknown key ${JSON.stringify(key)} in ${file}${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}; known keys: ${[...known].join(', ')}`)
    }
  }
  return parsed as Record<string, unknown>
}

/** Parses a flag, env or file value of `spec`; ConfigError naming the key and the expected form otherwise. */
export function parseValue (spec: KeySpec, raw: unknown, where: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(spec.key, `${where}: expected ${expected}, got ${show(raw)}`)
  }
  const type: KeyType = spec.type
  switch (type.kind) {
    case 'string': {
      if (typeof raw !== 'string') return fail('a string')
      if (raw.length < (type.minLength ?? 1)) return fail(`at least ${type.minLength ?? 1} characters`)
      return raw
    }
    case 'path':
      if (typeof raw !== 'string' || raw.length === 0 || raw.includes('\0')) return fail('a file system path')
      return raw
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+(\.\d+)?(e\d+)?$/i.test(raw.trim()) ? Number(raw) : Number.NaN
      const form = type.kind === 'int' ? 'an integer' : 'a number'
      if (!Number.isFinite(n) || (type.kind === 'int' && !Number.isInteger(n)) || n < type.min || n > type.max) {
        return fail(`${form} from ${type.min} to ${type.max}`)
      }
      return n
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw
      const text = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
      if (['true', '1', 'yes', 'on'].includes(text)) return true
      if (['false', '0', 'no', 'off'].includes(text)) return false
      return fail('true or false')
    }
    case 'enum':
      if (typeof raw !== 'string' || !type.values.includes(raw)) return fail(`one of ${type.values.join(', ')}`)
      return raw
    case 'roles': {
      const items = listOf(raw)
      const expected = `a comma-separated list of ${ROLES.join(', ')}, or all`
      if (items === undefined || items.length === 0) return fail(expected)
      if (items.length === 1 && items[0] === 'all') return [...ROLES]
      const roles: string[] = []
      for (const item of items) {
        if (!(ROLES as readonly string[]).includes(item)) return fail(`${expected} (${JSON.stringify(item)} is not a role)`)
        if (!roles.includes(item)) roles.push(item)
      }
      return ROLES.filter((r) => roles.includes(r))
    }
    case 'host-port': {
      if (type.off === true && typeof raw === 'string' && raw.trim() === 'off') return undefined
      const parsed = typeof raw === 'string' ? parseHostPort(raw) : undefined
      if (parsed === undefined) return fail(`host:port, such as 127.0.0.1:7400 or [::1]:7400 (port 0 to 65535)${type.off === true ? ', or off' : ''}`)
      return parsed
    }
    case 'origin-list': {
      const items = listOf(raw)
      const expected = 'a comma-separated list of web origins, such as https://chat.example.com,http://localhost:5173 (http or https, a host, an optional port, no path)'
      if (items === undefined) return fail(expected)
      for (const item of items) if (!isOrigin(item)) return fail(`${expected} (${JSON.stringify(item)} is not one)`)
      return items
    }
    case 'origin':
      if (typeof raw !== 'string' || !isOrigin(raw.trim())) return fail('a web origin, such as https://chat1.example.com:7404 (http or https, a host, an optional port, no path)')
      return raw.trim()
    case 'multiaddr':
      if (typeof raw !== 'string' || !isMultiaddr(raw)) return fail('a multiaddr, such as /ip4/127.0.0.1/tcp/7401')
      return raw
    case 'address-list': {
      const items = listOf(raw)
      const expected = 'a comma-separated list of IP addresses and CIDR networks, such as 10.0.0.5,10.1.0.0/16,fd00::/8'
      if (items === undefined) return fail(expected)
      for (const item of items) if (!isAddressOrNetwork(item)) return fail(`${expected} (${JSON.stringify(item)} is neither)`)
      return items
    }
    case 'multiaddr-list': {
      const items = listOf(raw)
      if (items === undefined) return fail('a comma-separated list of multiaddrs')
      for (const item of items) if (!isMultiaddr(item)) return fail(`a comma-separated list of multiaddrs (${JSON.stringify(item)} is not one)`)
      return items
    }
  }
}

/** `127.0.0.1:7400`, `localhost:0`, `[::1]:7400` */
export function parseHostPort (text: string): HostPort | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim())
  if (match === null) return undefined
  const port = Number(match[3])
  if (port > 65_535) return undefined
  return { host: match[1] ?? match[2] ?? '', port }
}

/** How a host:port prints (IPv6 in brackets). */
export function formatHostPort ({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** `https://chat.example.com`, `http://localhost:5173`: what a browser sends as `Origin`, exactly. */
function isOrigin (text: string): boolean {
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text
  } catch {
    return false
  }
}

function isMultiaddr (text: string): boolean {
  try {
    multiaddr(text)
    return text.startsWith('/')
  } catch {
    return false
  }
}

/** `10.0.0.5`, `::1`, `10.0.0.0/8`, `fd00::/8` */
function isAddressOrNetwork (text: string): boolean {
  const [address = '', prefix, extra] = text.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

function listOf (raw: unknown): string[] | undefined {
  if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (Array.isArray(raw) && raw.every((s) => typeof s === 'string')) return raw.map((s) => s.trim()).filter((s) => s.length > 0)
  return undefined
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function show (raw: unknown): string {
  const text = JSON.stringify(raw) ?? String(raw)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** The known word nearest to a misspelt one (edit distance at most 3), for "did you mean". */
export function closest (key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 4
  for (const candidate of known) {
    const d = distance(key, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function distance (a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length] as number
}
