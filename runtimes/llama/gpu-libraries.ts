import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where a GPU driver's libraries usually are, beside what LD_LIBRARY_PATH and the loader's cache name. */
const USUAL_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/nvidia/lib64', '/usr/local/nvidia/lib', '/usr/local/cuda/lib64', '/usr/lib/wsl/lib']
/** Of those, the ones the dynamic loader does not search unless LD_LIBRARY_PATH or ld.so.conf names them. */
const OFF_PATH_DIRS = ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib', '/usr/lib/wsl/lib']

/** Where libraries are looked for (tests give their own; the defaults are this machine's). */
export interface LibraryPaths {
  readonly env?: NodeJS.ProcessEnv
  readonly cacheFile?: string
  readonly usualDirs?: readonly string[]
  readonly offPathDirs?: readonly string[]
}

/** Where a shared library was looked for and found: `loadable` when the dynamic loader finds it
 * (LD_LIBRARY_PATH or its cache), `elsewhere` where it lies in a usual directory it does not search. */
export interface LibraryLookup {
  readonly name: string
  readonly loadable: boolean
  readonly elsewhere: string | undefined
}

/**
 * Whether the dynamic loader can find `name` (libcuda.so.1, libvulkan.so.1): in a directory of
 * LD_LIBRARY_PATH, or in /etc/ld.so.cache (which holds the names of the libraries of every
 * directory ld.so.conf names). A driver installed where the loader does not look (an NVIDIA
 * container's /usr/local/nvidia/lib64) is named in `elsewhere`: what LD_LIBRARY_PATH should add.
 */
export function findLibrary (name: string, where: LibraryPaths = {}): LibraryLookup {
  const { env = process.env, cacheFile = '/etc/ld.so.cache', usualDirs = USUAL_DIRS, offPathDirs = OFF_PATH_DIRS } = where
  const paths = (env.LD_LIBRARY_PATH ?? '').split(':').filter((p) => p !== '')
  let loadable = paths.some((dir) => existsSync(join(dir, name)))
  if (!loadable) {
    try {
      loadable = readFileSync(cacheFile).includes(name)
    } catch {
      // no cache (a static system, another OS): the usual directories below decide
    }
  }
  if (!loadable) loadable = usualDirs.filter((d) => !offPathDirs.includes(d)).some((dir) => existsSync(join(dir, name)))
  const elsewhere = loadable ? undefined : offPathDirs.find((dir) => existsSync(join(dir, name)))
  return { name, loadable, elsewhere }
}

/** Why a GPU backend cannot be used here when its driver library is missing (undefined: it is there). */
export function missingDriver (kind: 'cuda' | 'vulkan', where: LibraryPaths = {}): string | undefined {
  const lib = findLibrary(kind === 'cuda' ? 'libcuda.so.1' : 'libvulkan.so.1', where)
  if (lib.loadable) return undefined
  const what = kind === 'cuda' ? 'no CUDA driver found' : 'no Vulkan loader found'
  return lib.elsewhere === undefined
    ? `${what} (${lib.name} is on no library path)`
    : `${what} on the library path (${lib.name} is in ${lib.elsewhere}: add it to LD_LIBRARY_PATH)`
}
