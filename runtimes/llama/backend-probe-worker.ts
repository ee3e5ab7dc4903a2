/**
 * A worker thread that finds which llama.cpp backend works on this machine (backend-probe.ts), so
 * that the node's own thread never loads llama.cpp's native library: it tries each GPU backend it
 * is given, best first, then (under `gpu auto`) the CPU, and posts what it found, then exits.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { LlamaLogLevel, getLlama } from 'node-llama-cpp'
import { errorData } from '../../protocols/index.ts'
import { reasons } from './backend-probe.ts'
import type { BackendProbeRequest, InferenceBackend } from './backend-probe.ts'

async function probe ({ gpu, kinds, skipped }: BackendProbeRequest): Promise<InferenceBackend> {
  const why: Partial<Record<'cuda' | 'vulkan', string>> = { ...skipped }
  for (const kind of kinds) {
    try {
      const llama = await getLlama({ gpu: kind, build: 'never', logLevel: LlamaLogLevel.error, logger: () => {} })
      try {
        if (llama.gpu === kind) return { gpu, backend: kind, devices: await llama.getGpuDeviceNames() }
      } finally {
        await llama.dispose()
      }
      why[kind] = `llama.cpp's ${kind} binary started without the GPU`
    } catch (err) {
      why[kind] = `the driver is here but llama.cpp's prebuilt ${kind} binary did not load (${errorData(err).message}; it needs ${kind === 'cuda' ? 'the CUDA 12 or 13 runtime with cuBLAS' : 'a Vulkan 1.2 driver'})`
    }
  }
  if (gpu === 'cuda') return { gpu, backend: 'none', devices: [], reason: reasons(why) }
  try {
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, logger: () => {} })
    await llama.dispose()
    return { gpu, backend: 'cpu', devices: [], reason: reasons(why) }
  } catch (err) {
    return { gpu, backend: 'none', devices: [], reason: `${reasons(why)}; no prebuilt llama.cpp binary works on this machine (${errorData(err).message}; on Linux they need glibc 2.34 or newer)` }
  }
}

parentPort?.postMessage(await probe(workerData as BackendProbeRequest))
