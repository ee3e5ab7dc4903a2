/** A Runtime over any OpenAI-compatible HTTP server (Ollama, llama-server, vLLM, another Plexi node). */
export { OpenAiRuntime } from './openai-runtime.ts'
export type { OpenAiRuntimeOptions } from './openai-runtime.ts'
export { SseParser } from './sse-parser.ts'
export type { SseEvent } from './sse-parser.ts'
export { fitContext } from './context-fit.ts'
export type { ContextFit } from './context-fit.ts'
export { estimateTokens } from './token-estimate.ts'
export { DEFAULT_TIMEOUT_MS } from './constants.ts'
