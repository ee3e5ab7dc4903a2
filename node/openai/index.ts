/** The OpenAI-compatible HTTP endpoint (built, not listening: node/ listens on --openai-listen). */
export { buildOpenAiServer } from './openai-server.ts'
export type { OpenAiRoutes, OpenAiServerDeps } from './openai-server.ts'
export type { UserOf } from './request-auth.ts'
export { openAiBackend, AGENT_MODEL_ID } from './openai-backend.ts'
export type { CompletionRequest, OpenAiBackend } from './openai-backend.ts'
