import type { ChatTurn, GenerateResult, ModelRegistry, SamplingParams, ToolDefinition } from '../../runtimes/index.ts'
import type { AgentAsker, InferenceService } from '../inference/index.ts'
import { InvalidRequestError } from '../../protocols/index.ts'
import type { ToolChoice } from '../../protocols/index.ts'

/** A completion as the endpoint asks it: the model's id, the turns, the sampling, and the tools
 * the model may call (raw models only) with the tool choice. */
export interface CompletionRequest {
  readonly model: string
  readonly messages: ChatTurn[]
  readonly params: SamplingParams
  readonly tools?: ToolDefinition[]
  readonly toolChoice?: ToolChoice
}

/** What the endpoint serves, for one user at a time; the node wires it to its agents and models. */
export interface OpenAiBackend {
  /** The user owning this token, or undefined. */
  authenticate (token: string): Promise<string | undefined>
  /** Model ids this user can use: 'agent' (their own agent, with its history) and the raw model names. */
  models (user: string): Promise<Array<{ id: string, created: number }>>
  /**
   * Runs a completion for `user`. Rejects with errors named as in runtimes/errors.ts, or
   * 'RateLimitedError' (has retryAfterMs), 'UnknownModelError', 'InvalidRequestError',
   * 'PermissionDeniedError'. `signal` fires when the client leaves (or the server closes).
   */
  complete (user: string, request: CompletionRequest, onToken: (text: string) => void, signal: AbortSignal): Promise<GenerateResult>
}

/** The model id that means "my own agent, with its history". */
export const AGENT_MODEL_ID = 'agent'

/**
 * What the OpenAI endpoint serves on a node: `agent` (the caller's own agent, with its memory and
 * persona: the last user message is the question) and every ready model (stateless completions of
 * the messages as sent). Limits and queues are the same as for gRPC: both go through the
 * inference service.
 */
export function openAiBackend (deps: {
  readonly users: { authenticate (token: string): Promise<string | undefined> }
  readonly registry: ModelRegistry
  readonly inference: InferenceService
  readonly asker: AgentAsker
  /** Seconds since the epoch, shown as `created` of `agent`. */
  readonly startedAt: number
}): OpenAiBackend {
  return {
    authenticate: async (token) => await deps.users.authenticate(token),
    async models () {
      const models = await deps.registry.listing()
      return [
        { id: AGENT_MODEL_ID, created: deps.startedAt },
        ...models.filter((m) => m.status === 'ready').map((m) => ({ id: m.name, created: deps.startedAt }))
      ]
    },
    async complete (user, request, onToken, signal) {
      if (request.model !== AGENT_MODEL_ID) {
        const { tools, toolChoice } = request
        return await deps.inference.complete(user, request.model, request.messages, request.params, onToken,
          { signal, ...(tools !== undefined && { tools }), ...(toolChoice !== undefined && { toolChoice }) })
      }
      const question = request.messages.findLast((m) => m.role === 'user')
      if (question === undefined || question.content.trim().length === 0) {
        throw new InvalidRequestError('messages: model "agent" needs a user message (the last one is the question; your agent keeps the conversation itself)')
      }
      const answer = await deps.asker.ask(user, question.content, {
        signal,
        onEvent: (event) => { if (event.kind === 'token') onToken(event.text) }
      })
      const { text, stopReason, promptTokens, completionTokens, droppedTurns, ttftMs, durationMs } = answer
      // an answer the node's stop interrupted ends as a cancelled one does here (OpenAI has neither)
      return { text, stopReason: stopReason === 'interrupted' ? 'cancelled' : stopReason, promptTokens, completionTokens, droppedTurns, ttftMs, durationMs }
    }
  }
}
