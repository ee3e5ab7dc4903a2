import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { PLUGIN_NAME_PATTERN, PLUGIN_VERSION_PATTERN } from '../../actors/index.ts'
import { UNPACKED_MARK } from './constants.ts'
import { InvalidPluginPackageError } from './errors.ts'
import type { ReadPackage } from './package-reader.ts'

/** An unpacking in progress: `.<version>.unpacking-<hex>`, renamed to `<version>` once whole. */
const UNPACKING = /^\.(.+)\.unpacking-[0-9a-f]{8}$/

/**
 * The packages a plugins-role member has unpacked, under `<data-dir>/plugins/<name>/<version>/`.
 * A version is unpacked into a folder of its own and renamed into place once whole, with its
 * package's digest written last (UNPACKED_MARK), so a crash mid-unpack leaves nothing that looks
 * unpacked. Every path is checked again against the folder it must stay in (readPackage refused
 * links and `..` already). Only names and versions the catalog allows are ever made or removed
 * here: anything else under the folder is left alone.
 */
export class PackageFiles {
  readonly root: string

  constructor (root: string) {
    this.root = resolve(root)
  }

  /** The folder of one version. */
  dirOf (name: string, version: string): string {
    if (!PLUGIN_NAME_PATTERN.test(name) || !PLUGIN_VERSION_PATTERN.test(version)) throw new InvalidPluginPackageError(`${name} ${version} is not a plugin name and version`)
    return join(this.root, name, version)
  }

  /** Whether `version` of `name` is unpacked whole from the package of `digest`. */
  async has (name: string, version: string, digest: string): Promise<boolean> {
    try {
      return (await readFile(join(this.dirOf(name, version), UNPACKED_MARK), 'utf8')) === digest
    } catch {
      return false
    }
  }

  /** Unpacks a package read by readPackage as `version` of `name` (replacing whatever was there
   * and was not a whole unpacking of the same digest); resolves with its folder. */
  async unpack (name: string, version: string, digest: string, pkg: ReadPackage): Promise<string> {
    const dir = this.dirOf(name, version)
    if (await this.has(name, version, digest)) return dir
    const work = join(this.root, name, `.${version}.unpacking-${randomBytes(4).toString('hex')}`)
    await mkdir(work, { recursive: true, mode: 0o755 })
    try {
      for (const d of pkg.dirs) await mkdir(inside(work, d), { recursive: true, mode: 0o755 })
      for (const f of pkg.files) {
        const path = inside(work, f.path)
        await mkdir(dirname(path), { recursive: true, mode: 0o755 })
        // wx: never through anything that is there already (a link cannot be)
        await writeFile(path, f.bytes, { mode: f.mode, flag: 'wx' })
      }
      await writeFile(join(work, UNPACKED_MARK), digest, { mode: 0o644, flag: 'wx' })
      await rm(dir, { recursive: true, force: true })
      await rename(work, dir)
    } catch (err) {
      await rm(work, { recursive: true, force: true })
      throw err
    }
    return dir
  }

  /** The versions unpacked (whole or not) of each plugin here, and unpackings left by a crash. */
  async list (): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>()
    for (const name of await entries(this.root)) {
      if (!PLUGIN_NAME_PATTERN.test(name)) continue
      found.set(name, (await entries(join(this.root, name))).filter((v) => PLUGIN_VERSION_PATTERN.test(v) || UNPACKING.test(v)))
    }
    return found
  }

  /** Removes one version's folder (or an unpacking left by a crash). */
  async removeVersion (name: string, version: string): Promise<void> {
    if (!PLUGIN_NAME_PATTERN.test(name) || (!PLUGIN_VERSION_PATTERN.test(version) && !UNPACKING.test(version))) return
    await rm(join(this.root, name, version), { recursive: true, force: true })
  }

  /** Removes everything of a plugin that was removed from the catalog. */
  async removePlugin (name: string): Promise<void> {
    if (!PLUGIN_NAME_PATTERN.test(name)) return
    await rm(join(this.root, name), { recursive: true, force: true })
  }
}

/** `path` under `dir`, refused if it would land anywhere else. */
function inside (dir: string, path: string): string {
  const full = resolve(dir, path)
  if (!full.startsWith(dir + sep)) throw new InvalidPluginPackageError(`the entry ${JSON.stringify(path.slice(0, 80))} would land outside its folder`)
  return full
}

async function entries (dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}
