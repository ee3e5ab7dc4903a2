import { lstat, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { MAX_PACKAGE_BYTES } from '../protocols/plugins/index.ts'
import { CliError } from './cli-errors.ts'

/** Folders a package never holds: a plugin's repository history is not the plugin. */
const SKIPPED = new Set(['.git'])
const BLOCK = 512

/**
 * Packs a plugin's folder into the package the registry takes: a gzipped tar of its files and
 * folders, paths relative to the folder, in sorted order, with no owner or time in it, so that the
 * same folder always packs to the same bytes (the same digest: installing it again changes
 * nothing). A link is refused (a package holds files only: copy the file in), and so is a package
 * over MAX_PACKAGE_BYTES. Paths over 100 bytes go in a pax header.
 */
export async function packPluginDir (dir: string): Promise<Buffer> {
  const blocks: Buffer[] = []
  let size = 0
  const add = (b: Buffer): void => {
    blocks.push(b)
    size += b.byteLength
    if (size > MAX_PACKAGE_BYTES * 4) throw new CliError(`${dir} holds more than a package may (${MAX_PACKAGE_BYTES} bytes packed)`)
  }
  for (const entry of await walk(dir, '')) {
    if (entry.dir) {
      add(header(`${entry.path}/`, 0o755, 0, '5'))
      continue
    }
    const bytes = await readFile(join(dir, entry.path))
    add(header(entry.path, entry.mode, bytes.byteLength, '0'))
    add(padded(bytes))
  }
  add(Buffer.alloc(2 * BLOCK))
  const tgz = gzipSync(Buffer.concat(blocks), { level: 9 })
  if (tgz.byteLength > MAX_PACKAGE_BYTES) throw new CliError(`${dir} packs to ${tgz.byteLength} bytes, over the ${MAX_PACKAGE_BYTES} a package may be`)
  return tgz
}

interface Walked {
  readonly path: string
  readonly dir: boolean
  readonly mode: number
}

async function walk (root: string, under: string): Promise<Walked[]> {
  const out: Walked[] = []
  const names = (await readdir(join(root, under))).sort()
  for (const name of names) {
    if (under === '' && SKIPPED.has(name)) continue
    const path = under === '' ? name : `${under}/${name}`
    const stat = await lstat(join(root, path))
    if (stat.isSymbolicLink()) throw new CliError(`${join(root, path)} is a link: a plugin package holds files only (copy the file in)`)
    if (stat.isDirectory()) {
      out.push({ path, dir: true, mode: 0o755 }, ...await walk(root, path))
    } else if (stat.isFile()) {
      out.push({ path, dir: false, mode: (stat.mode & 0o111) !== 0 ? 0o755 : 0o644 })
    } else {
      throw new CliError(`${join(root, path)} is neither a file nor a folder: a plugin package holds files and folders only`)
    }
  }
  return out
}

/** A ustar header (with a pax header before it when the path does not fit in 100 bytes). */
function header (path: string, mode: number, size: number, type: string): Buffer {
  const name = Buffer.from(path, 'utf8')
  if (name.byteLength > 100) {
    const record = paxRecord('path', path)
    return Buffer.concat([header('PaxHeader', 0o644, record.byteLength, 'x'), padded(record), header(path.slice(0, 90).replace(/[^\x20-\x7e]/g, '_'), mode, size, type)])
  }
  const h = Buffer.alloc(BLOCK)
  name.copy(h, 0)
  h.write(octal(mode, 7), 100, 'latin1')
  h.write(octal(0, 7), 108, 'latin1')
  h.write(octal(0, 7), 116, 'latin1')
  h.write(octal(size, 11), 124, 'latin1')
  h.write(octal(0, 11), 136, 'latin1')
  h.write(type, 156, 'latin1')
  h.write('ustar\u000000', 257, 'latin1')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1')
  return h
}

/** A pax record, `<len> key=value\n`, whose length counts its own digits. */
function paxRecord (key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`
  let length = Buffer.byteLength(body) + 1
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body)
  return Buffer.from(`${length}${body}`, 'utf8')
}

function octal (n: number, width: number): string {
  return `${n.toString(8).padStart(width, '0')}\u0000`
}

function padded (bytes: Buffer): Buffer {
  const rest = bytes.byteLength % BLOCK
  return rest === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(BLOCK - rest)])
}
