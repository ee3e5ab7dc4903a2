import { expect } from 'chai'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { findLibrary, missingDriver } from '../../../runtimes/llama/gpu-libraries.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('gpu-libraries', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should find a driver library on LD_LIBRARY_PATH, in the loader\'s cache, or in a usual directory, and name one that lies where the loader does not look', async () => {
    const onPath = join(dir.path, 'on-path')
    const usual = join(dir.path, 'usual')
    const container = join(dir.path, 'nvidia')
    for (const d of [onPath, usual, container]) await mkdir(d)
    const cache = join(dir.path, 'ld.so.cache')
    await writeFile(cache, 'ld.so-1.7.0\0libc.so.6\0libm.so.6\0')
    const nowhere = { env: {}, cacheFile: cache, usualDirs: [usual, container], offPathDirs: [container] }
    expect(findLibrary('libcuda.so.1', nowhere)).to.deep.equal({ name: 'libcuda.so.1', loadable: false, elsewhere: undefined })
    expect(missingDriver('cuda', nowhere)).to.equal('no CUDA driver found (libcuda.so.1 is on no library path)')
    expect(missingDriver('vulkan', nowhere)).to.equal('no Vulkan loader found (libvulkan.so.1 is on no library path)')
    // an NVIDIA container's driver, off the loader's path: what to add to LD_LIBRARY_PATH
    await writeFile(join(container, 'libcuda.so.1'), '')
    expect(missingDriver('cuda', nowhere)).to.equal(`no CUDA driver found on the library path (libcuda.so.1 is in ${container}: add it to LD_LIBRARY_PATH)`)
    expect(missingDriver('cuda', { ...nowhere, env: { LD_LIBRARY_PATH: `/nope:${container}` } })).to.equal(undefined)
    // the loader's cache names it, or a directory it searches holds it
    await writeFile(cache, 'ld.so-1.7.0\0libcuda.so.1\0')
    expect(missingDriver('cuda', { ...nowhere, offPathDirs: [] })).to.equal(undefined)
    await writeFile(cache, '')
    await writeFile(join(usual, 'libvulkan.so.1'), '')
    expect(missingDriver('vulkan', nowhere)).to.equal(undefined)
    expect(findLibrary('libvulkan.so.1', { ...nowhere, cacheFile: join(dir.path, 'no-cache') }).loadable).to.equal(true)
  })
})
