/** The OpenAI-compatible HTTP endpoint (built, not listening: node/ listens on --openai-listen). */
export { buildOpenAiServer } from './openai-server.ts'
export type { OpenAiBackend, OpenAiServerDeps } from './openai-server.ts'
