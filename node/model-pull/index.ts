/**
 * Model pulls: `plexi admin models pull <url|hf:OWNER/REPO/FILE.gguf>` downloads a GGUF with
 * progress and resumption, checks its SHA-256 and validates it, and copies it to the other ai
 * members over the mesh (each checks it by its SHA-256 and validates it again).
 */
export { ModelPulls } from './model-pulls.ts'
export type { ModelPullsOptions, PullRequest } from './model-pulls.ts'
export { MODEL_COPY_PATH, ModelCopies, checkModelCopyMsg, spawnModelCopyActor } from './model-copy.ts'
export type { CopyOfferAnswer, ModelCopiesOptions, ModelCopyMsg } from './model-copy.ts'
export { FileDigests } from './file-digests.ts'
export { download } from './downloader.ts'
export type { DownloadOptions, Downloaded } from './downloader.ts'
export { parseModelSource } from './model-source.ts'
export type { ModelSource } from './model-source.ts'
export { pullMetrics } from './pull-metrics.ts'
export type { PullMetrics } from './pull-metrics.ts'
export { ModelPullError } from './errors.ts'
export * from './constants.ts'
