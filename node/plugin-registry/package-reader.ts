import { gunzipSync } from 'node:zlib'
import { MAX_MANIFEST_BYTES } from '../../protocols/plugins/index.ts'
import { MANIFEST_FILE, MAX_ENTRY_BYTES, MAX_ENTRY_DEPTH, MAX_ENTRY_PATH, MAX_PACKAGE_ENTRIES, MAX_UNPACKED_BYTES } from './constants.ts'
import { InvalidPluginPackageError } from './errors.ts'

/** One file of a package: its path inside the package (`/`-separated, relative, no `.` or `..`). */
export interface PackageFile {
  readonly path: string
  /** 0o755 when any execute bit was set, else 0o644: nothing else of the archive's mode is kept. */
  readonly mode: number
  readonly bytes: Buffer
}

/** A package read whole and checked: its files, its folders, and its manifest's JSON (not yet
 * checked field by field: checkPluginManifest's part). */
export interface ReadPackage {
  readonly files: readonly PackageFile[]
  readonly dirs: readonly string[]
  readonly manifest: unknown
}

const BLOCK = 512

/**
 * Reads a plugin package: a gzipped tar (what `npm pack` and `tar czf` make; a single top folder,
 * such as npm's `package/`, is taken off). Everything is checked before anything is written
 * anywhere: an entry whose path is absolute or climbs out with `..`, a link (symbolic or hard), a
 * device or a fifo, an entry over MAX_ENTRY_BYTES, more than MAX_PACKAGE_ENTRIES entries, two
 * entries of one path, an archive that unpacks to more than MAX_UNPACKED_BYTES, a damaged header,
 * or no `plexi-plugin.json` at its root: each refused with InvalidPluginPackageError naming it.
 */
export function readPackage (tgz: Uint8Array): ReadPackage {
  let tar: Buffer
  try {
    tar = gunzipSync(tgz, { maxOutputLength: MAX_UNPACKED_BYTES + 2 * BLOCK })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err as Error).name === 'RangeError') throw new InvalidPluginPackageError(`the package unpacks to more than ${MAX_UNPACKED_BYTES} bytes`)
    throw new InvalidPluginPackageError(`the package is not a gzipped tar (.tgz): ${(err as Error).message}`)
  }
  const entries = readTar(tar)
  const stripped = withoutTopFolder(entries)
  const manifestFile = stripped.files.find((f) => f.path === MANIFEST_FILE)
  if (manifestFile === undefined) throw new InvalidPluginPackageError(`the package has no ${MANIFEST_FILE} at its root`)
  if (manifestFile.bytes.byteLength > MAX_MANIFEST_BYTES) throw new InvalidPluginPackageError(`${MANIFEST_FILE} is ${manifestFile.bytes.byteLength} bytes, over ${MAX_MANIFEST_BYTES}`)
  let manifest: unknown
  try {
    manifest = JSON.parse(manifestFile.bytes.toString('utf8'))
  } catch (err) {
    throw new InvalidPluginPackageError(`${MANIFEST_FILE} is not JSON: ${(err as Error).message}`)
  }
  return { ...stripped, manifest }
}

interface Entries {
  files: PackageFile[]
  dirs: string[]
}

/** The entries of a ustar/pax archive, checked. */
function readTar (tar: Buffer): Entries {
  const out: Entries = { files: [], dirs: [] }
  const seen = new Set<string>()
  let total = 0
  let longName: string | undefined
  let offset = 0
  while (offset + BLOCK <= tar.byteLength) {
    const header = tar.subarray(offset, offset + BLOCK)
    if (header.every((b) => b === 0)) return out
    checkSum(header, offset)
    const type = String.fromCharCode(header[156] as number)
    const size = octal(header.subarray(124, 136), 'size', offset)
    const data = offset + BLOCK
    if (size > MAX_ENTRY_BYTES) throw new InvalidPluginPackageError(`an entry of the package is ${size} bytes, over ${MAX_ENTRY_BYTES}`)
    if (data + size > tar.byteLength) throw new InvalidPluginPackageError('the package ends in the middle of an entry')
    const body = tar.subarray(data, data + size)
    offset = data + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'x' || type === 'L') {
      longName = type === 'L' ? body.toString('utf8').replace(/\0+$/, '') : paxPath(body) ?? longName
      continue
    }
    if (type === 'g') continue
    const name = longName ?? headerName(header)
    longName = undefined
    const path = safePath(name)
    if (seen.has(path)) throw new InvalidPluginPackageError(`the package holds ${path} twice`)
    seen.add(path)
    if (seen.size > MAX_PACKAGE_ENTRIES) throw new InvalidPluginPackageError(`the package holds more than ${MAX_PACKAGE_ENTRIES} entries`)
    if (type === '5') {
      out.dirs.push(path)
      continue
    }
    if (type !== '0' && type !== '\0' && type !== '7') throw new InvalidPluginPackageError(`${path} is ${KINDS[type] ?? `an entry of type ${JSON.stringify(type)}`}: a package holds files and folders only`)
    total += size
    if (total > MAX_UNPACKED_BYTES) throw new InvalidPluginPackageError(`the package unpacks to more than ${MAX_UNPACKED_BYTES} bytes`)
    const mode = octal(header.subarray(100, 108), 'mode', offset)
    out.files.push({ path, mode: (mode & 0o111) !== 0 ? 0o755 : 0o644, bytes: Buffer.from(body) })
  }
  throw new InvalidPluginPackageError('the package\'s tar has no end (two empty blocks)')
}

const KINDS: Readonly<Record<string, string>> = {
  1: 'a hard link', 2: 'a symbolic link', 3: 'a character device', 4: 'a block device', 6: 'a fifo', K: 'a link', V: 'a volume label'
}

function headerName (header: Buffer): string {
  const name = cString(header.subarray(0, 100))
  const ustar = header.subarray(257, 262).toString('latin1') === 'ustar'
  const prefix = ustar ? cString(header.subarray(345, 500)) : ''
  return prefix === '' ? name : `${prefix}/${name}`
}

function cString (bytes: Buffer): string {
  const end = bytes.indexOf(0)
  return bytes.subarray(0, end === -1 ? bytes.byteLength : end).toString('utf8')
}

/** A header's octal field (refused when it is not one: base-256 sizes are for files far larger
 * than a package may hold). */
function octal (field: Buffer, what: string, offset: number): number {
  const text = cString(field).trim()
  if (!/^[0-7]{1,12}$/.test(text)) throw new InvalidPluginPackageError(`the package's tar header at byte ${offset} has no readable ${what}`)
  return parseInt(text, 8)
}

function checkSum (header: Buffer, offset: number): void {
  const stated = octal(header.subarray(148, 156), 'checksum', offset)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i] as number
  if (sum !== stated) throw new InvalidPluginPackageError(`the package's tar header at byte ${offset} is damaged (its checksum does not match)`)
}

/** The `path` of a pax extended header's records (`<len> path=<value>\n`). */
function paxPath (body: Buffer): string | undefined {
  let path: string | undefined
  let at = 0
  while (at < body.byteLength) {
    const space = body.indexOf(0x20, at)
    const length = space === -1 ? NaN : Number(body.subarray(at, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= 0 || at + length > body.byteLength) throw new InvalidPluginPackageError('the package holds a damaged pax header')
    const record = body.subarray(space + 1, at + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1)
    if (record.slice(0, eq) === 'linkpath' || record.slice(0, eq) === 'size') throw new InvalidPluginPackageError(`the package uses a pax ${record.slice(0, eq)} record, which a plugin package does not need`)
    at += length
  }
  return path
}

/** An entry's path made relative and plain (`./a//b/` → `a/b`); refused when it is absolute,
 * climbs with `..`, holds a backslash or a control character, or is too long or deep. */
function safePath (name: string): string {
  const shown = JSON.stringify(name.slice(0, 80))
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new InvalidPluginPackageError(`the entry ${shown} has an absolute path: a package's paths stay inside it`)
  // eslint-disable-next-line no-control-regex
  if (/[\\\x00-\x1f\x7f]/.test(name)) throw new InvalidPluginPackageError(`the entry ${shown} has a backslash or a control character in its path`)
  const parts = name.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw new InvalidPluginPackageError(`the entry ${shown} climbs out of the package with ..`)
  if (parts.length === 0) throw new InvalidPluginPackageError('the package holds an entry with no name')
  const path = parts.join('/')
  if (path.length > MAX_ENTRY_PATH || parts.length > MAX_ENTRY_DEPTH) throw new InvalidPluginPackageError(`the entry ${shown} has a path over ${MAX_ENTRY_PATH} characters or ${MAX_ENTRY_DEPTH} folders deep`)
  return path
}

/** When every entry is inside one top folder (npm pack's `package/`) and no manifest is at the
 * root, the entries as seen from inside that folder. */
function withoutTopFolder (entries: Entries): Entries {
  if (entries.files.some((f) => f.path === MANIFEST_FILE)) return entries
  const tops = new Set([...entries.files.map((f) => f.path), ...entries.dirs].map((p) => p.split('/')[0]))
  const [top] = tops
  if (tops.size !== 1 || top === undefined || !entries.files.every((f) => f.path.includes('/'))) return entries
  const cut = (p: string): string => p.slice(top.length + 1)
  return {
    files: entries.files.map((f) => ({ ...f, path: cut(f.path) })),
    dirs: entries.dirs.filter((d) => d !== top).map(cut)
  }
}
