/** Inference: models (the GGUF writer, validator and generator), the model registry. */
export * from './gguf/index.ts'
export { ModelRegistry, MODEL_NAME_PATTERN } from './model-registry.ts'
export type { ModelEntry } from './model-registry.ts'
