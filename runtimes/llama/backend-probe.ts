import { Worker } from 'node:worker_threads'
import { missingDriver } from './gpu-libraries.ts'
import type { LibraryPaths } from './gpu-libraries.ts'

/** What `gpu` (the node's setting) asks for. */
export type GpuChoice = 'auto' | 'cuda' | 'off'

export interface BackendProbeRequest {
  readonly gpu: GpuChoice
  /** The GPU backends to try, best first (their driver library is there). */
  readonly kinds: ReadonlyArray<'cuda' | 'vulkan'>
  /** Why the others were not tried, by backend. */
  readonly skipped: Readonly<Partial<Record<'cuda' | 'vulkan', string>>>
}

/**
 * The llama.cpp backend this machine gives for `gpu`: `cuda` or `vulkan` with the devices found,
 * `cpu` (with `reason`: why no GPU, where one was allowed), or `none` where nothing works (with
 * `reason`; under `gpu cuda`, a machine without a working CUDA).
 */
export interface InferenceBackend {
  readonly gpu: GpuChoice
  readonly backend: 'cuda' | 'vulkan' | 'cpu' | 'none'
  readonly devices: readonly string[]
  readonly reason?: string
}

/** How long a probe may take before it is given up (loading a backend takes seconds on a busy machine). */
export const PROBE_TIMEOUT_MS = 120_000

/**
 * Finds which backend works here. A GPU backend is tried only where its driver library is (so a
 * machine without one answers at once, `cpu` with why); trying one loads llama.cpp, which is done
 * in a worker thread of its own that exits when done (backend-probe-worker.ts: the node's thread
 * never loads llama.cpp's native library for it).
 * Rejects only when the worker itself fails or takes longer than `timeoutMs`.
 */
export async function probeBackend (gpu: GpuChoice, options: { timeoutMs?: number, libraries?: LibraryPaths } = {}): Promise<InferenceBackend> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS
  if (gpu === 'off') return { gpu, backend: 'cpu', devices: [], reason: 'gpu off' }
  // a backend whose driver library is missing is not tried: the usual CPU-only machine answers at once
  const kinds: Array<'cuda' | 'vulkan'> = []
  const skipped: Partial<Record<'cuda' | 'vulkan', string>> = {}
  for (const kind of gpu === 'cuda' ? ['cuda'] as const : ['cuda', 'vulkan'] as const) {
    const missing = missingDriver(kind, options.libraries)
    if (missing === undefined) kinds.push(kind)
    else skipped[kind] = missing
  }
  if (kinds.length === 0) return { gpu, backend: gpu === 'cuda' ? 'none' : 'cpu', devices: [], reason: reasons(skipped) }
  const worker = new Worker(new URL('./backend-probe-worker.ts', import.meta.url), { workerData: { gpu, kinds, skipped } satisfies BackendProbeRequest })
  try {
    return await new Promise<InferenceBackend>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`the inference backend probe took longer than ${timeoutMs} ms`)) }, timeoutMs)
      worker.once('message', (found: InferenceBackend) => { clearTimeout(timer); resolve(found) })
      worker.once('error', (err) => { clearTimeout(timer); reject(err) })
      worker.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the inference backend probe exited (${code}) without an answer`)) })
    })
  } finally {
    await worker.terminate()
  }
}

/** Why no GPU backend, cuda's then vulkan's. */
export function reasons (why: Readonly<Partial<Record<'cuda' | 'vulkan', string>>>): string {
  return (['cuda', 'vulkan'] as const).flatMap((k) => why[k] === undefined ? [] : [why[k]]).join('; ')
}

/** One line for the log and the CLI: `cuda (NVIDIA H100 80GB HBM3)`, `cpu (no CUDA driver found: …)`. */
export function describeBackend (b: InferenceBackend): string {
  if (b.backend === 'cuda' || b.backend === 'vulkan') return `${b.backend} (${b.devices.length === 0 ? 'no device named' : b.devices.join(', ')})`
  return b.reason === undefined || b.reason === '' ? b.backend : `${b.backend} (${b.reason})`
}
