import type { ActorAddress } from './actor-ref.ts'
import type { ReplyTo } from './reply-to.ts'

/** One turn of an agent's conversation. */
export interface AgentTurn {
  readonly requestId: string
  readonly role: 'user' | 'assistant'
  readonly content: string
  readonly ts: number
  /** Assistant turns: why the answer ended. */
  readonly stopReason?: AgentStopReason
  /** Assistant turns: the model that answered. */
  readonly model?: string
}

export type AgentStopReason = 'eos' | 'max-tokens' | 'cancelled' | 'context-full'

export interface AgentSampling {
  readonly temperature: number
  readonly topP: number
  readonly topK: number
  readonly maxTokens: number
}

export interface AgentSettings {
  readonly persona: string
  /** Empty: the node's default model. */
  readonly model: string
  readonly sampling: AgentSampling
}

export interface AgentState {
  readonly settings: AgentSettings
  /** The most recent turns (at most MAX_AGENT_TURNS), oldest first. */
  readonly history: readonly AgentTurn[]
}

/** Where an answer's tokens go as they are made: a plain actor (a gRPC call's gateway) or an
 * entity (a room, for `@agent`). Plain data, so that it can name an actor on another node. */
export type AgentSink =
  | { readonly kind: 'actor', readonly address: ActorAddress }
  | { readonly kind: 'entity', readonly type: string, readonly key: string }

/** What an agent sends its sink while it answers, in order; the end comes as the ask's reply. */
export interface AgentStreamEvent {
  readonly type: 'agent-stream'
  readonly requestId: string
  readonly event:
  | { readonly kind: 'queued', readonly position: number }
  | { readonly kind: 'token', readonly text: string }
}

/** The reply to an `ask`, once the answer is complete (or cancelled). */
export interface AgentAnswer {
  readonly requestId: string
  readonly text: string
  readonly model: string
  readonly stopReason: AgentStopReason
  readonly promptTokens: number
  readonly completionTokens: number
  readonly droppedTurns: number
  readonly ttftMs: number
  readonly durationMs: number
}

export interface AgentSettingsChange {
  readonly persona?: string
  readonly model?: string
  readonly sampling?: Partial<AgentSampling>
}

export type AgentMsg =
  /** `user` is who asks: only the agent's own user may (PermissionDeniedError otherwise). */
  | { readonly type: 'ask', readonly user: string, readonly text: string, readonly requestId: string, readonly sink: AgentSink, readonly replyTo: ReplyTo<AgentAnswer> }
  | { readonly type: 'cancel', readonly user: string, readonly requestId: string }
  | { readonly type: 'history', readonly user: string, readonly limit: number, readonly replyTo: ReplyTo<AgentTurn[]> }
  | { readonly type: 'settings', readonly user: string, readonly replyTo: ReplyTo<AgentSettings> }
  | { readonly type: 'configure', readonly user: string, readonly change: AgentSettingsChange, readonly replyTo: ReplyTo<AgentSettings> }
  | { readonly type: 'reset', readonly user: string, readonly replyTo: ReplyTo<number> }
  /** From the agent to itself: a generation it started has ended. */
  | { readonly type: 'generation-ended', readonly requestId: string, readonly outcome: GenerationOutcome }

export type GenerationOutcome =
  | { readonly ok: true, readonly answer: AgentAnswer }
  | { readonly ok: false, readonly error: { readonly name: string, readonly message: string, readonly retryAfterMs?: number } }

export type AgentEvent =
  | { readonly type: 'user-asked', readonly requestId: string, readonly text: string, readonly ts: number }
  | { readonly type: 'agent-answered', readonly requestId: string, readonly text: string, readonly model: string, readonly stopReason: AgentStopReason, readonly ts: number }
  /** The generation failed: the question it answered is taken out of the history again. */
  | { readonly type: 'answer-failed', readonly requestId: string, readonly error: string, readonly ts: number }
  | { readonly type: 'agent-configured', readonly settings: AgentSettings, readonly ts: number }
  | { readonly type: 'history-reset', readonly ts: number }

/** Turns kept in an agent's state (older ones stay in its journal, out of prompts and History). */
export const MAX_AGENT_TURNS = 200
/** Asks one agent holds while it answers another: beyond it AgentBusyError. */
export const MAX_PENDING_ASKS = 4
/** Longest persona (system prompt), in UTF-8 bytes. */
export const MAX_PERSONA_BYTES = 8192

export const DEFAULT_PERSONA = 'You are a helpful assistant. Answer briefly and clearly.'
