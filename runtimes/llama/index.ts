/** llama.cpp (node-llama-cpp) in Piscina worker threads: the runtime, and the files its saved KV
 * caches are kept in (another node's cache arrives as those files). */
export { LlamaRuntime } from './llama-runtime.ts'
export { describeBackend, probeBackend } from './backend-probe.ts'
export { missingDriver } from './gpu-libraries.ts'
export type { GpuChoice, InferenceBackend } from './backend-probe.ts'
export type { LlamaRuntimeLog, LlamaRuntimeOptions } from './llama-runtime.ts'
export { kvStatePaths, modelSha256, parseMeta } from './kv-state-file.ts'
export type { KvStateMeta } from './kv-state-file.ts'
