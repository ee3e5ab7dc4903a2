import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describeBackend, probeBackend } from '../../../runtimes/llama/backend-probe.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('backend-probe', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })
  /** A machine with no GPU driver anywhere (whatever this one has). */
  const noDrivers = (): { libraries: { env: NodeJS.ProcessEnv, cacheFile: string, usualDirs: string[], offPathDirs: string[] } } =>
    ({ libraries: { env: {}, cacheFile: join(dir.path, 'no-cache'), usualDirs: [], offPathDirs: [] } })

  it('should answer at once without a GPU driver: cpu and why under auto, none and why under cuda, cpu under off', async () => {
    const auto = await probeBackend('auto', noDrivers())
    expect(auto).to.deep.equal({ gpu: 'auto', backend: 'cpu', devices: [], reason: 'no CUDA driver found (libcuda.so.1 is on no library path); no Vulkan loader found (libvulkan.so.1 is on no library path)' })
    expect(describeBackend(auto)).to.equal('cpu (no CUDA driver found (libcuda.so.1 is on no library path); no Vulkan loader found (libvulkan.so.1 is on no library path))')
    const cuda = await probeBackend('cuda', noDrivers())
    expect([cuda.backend, cuda.reason]).to.deep.equal(['none', 'no CUDA driver found (libcuda.so.1 is on no library path)'])
    expect(await probeBackend('off', noDrivers())).to.deep.equal({ gpu: 'off', backend: 'cpu', devices: [], reason: 'gpu off' })
    expect(describeBackend({ gpu: 'auto', backend: 'cuda', devices: ['NVIDIA H100 80GB HBM3'] })).to.equal('cuda (NVIDIA H100 80GB HBM3)')
  })

  it('should try llama.cpp\'s CUDA binary where a driver library is, and say it did not load when it does not (auto: then the CPU)', async function () {
    // a file named as the driver, which is no driver: the binary's load fails as on a machine
    // whose driver does not fit llama.cpp's CUDA runtime
    await writeFile(join(dir.path, 'libcuda.so.1'), '')
    const fake = { libraries: { env: { LD_LIBRARY_PATH: dir.path }, cacheFile: join(dir.path, 'no-cache'), usualDirs: [], offPathDirs: [] } }
    const cuda = await probeBackend('cuda', fake)
    if (cuda.backend === 'cuda') this.skip()   // (a machine with a real GPU: nothing to refuse)
    expect(cuda.backend).to.equal('none')
    expect(cuda.reason).to.match(/^the driver is here but llama\.cpp's prebuilt cuda binary did not load \(.*it needs the CUDA 12 or 13 runtime with cuBLAS\)$/)
    const auto = await probeBackend('auto', fake)
    expect(auto.backend).to.equal('cpu')
    expect(auto.reason).to.match(/^the driver is here but llama\.cpp's prebuilt cuda binary did not load .*; no Vulkan loader found/)
  })
})
