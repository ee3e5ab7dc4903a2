import { entityTypeKey } from '../kernel/index.ts'
import type { ActorAddress, ReplyTo } from '../kernel/index.ts'
import { MAX_AGENT_TURNS, MAX_CHAT_TEXT_BYTES, MAX_TOOL_ARGS_BYTES, TOOL_NAME_MAX, clip, isErrorData } from '../../protocols/index.ts'
import type { ErrorData, ToolCall } from '../../protocols/index.ts'
import { AGENT_TOOL_RESULT_BYTES, MAX_TOOL_CALLS_PER_ROUND, MAX_TOOL_CALL_ID_LENGTH, STREAM_TOOL_RESULT_BYTES } from './constants.ts'
import { InvalidAgentRequestError } from './errors.ts'
import { MessageCheck } from './message-check.ts'
import { checkExportPage, checkImportBatch } from './transfer-protocol.ts'
import type { ImportOutcome, TransferPage } from './transfer-protocol.ts'
import type { ImportItem, ImportedFrom } from '../../protocols/index.ts'

/** One turn of an agent's conversation. An ask that used tools has, between its question and its
 * answer, an assistant turn with the calls (`toolCalls`, stopReason 'tool-calls') and a tool turn
 * per call with its result, all with the ask's request id. */
export interface AgentTurn {
  readonly requestId: string
  readonly role: 'user' | 'assistant' | 'tool'
  readonly content: string
  readonly ts: number
  /** Assistant turns: why the answer ended. */
  readonly stopReason?: AgentStopReason
  /** Assistant turns: the model that answered. */
  readonly model?: string
  /** Assistant turns that called tools: the calls. */
  readonly toolCalls?: readonly ToolCall[]
  /** Tool turns: the call answered, its tool, and whether it failed (`content` says why). */
  readonly toolCallId?: string
  readonly toolName?: string
  readonly isError?: boolean
  /** An imported turn: where it came from, its time there. */
  readonly importedFrom?: ImportedFrom
}

/** A call the model made, as the agent keeps it until it is answered: `refused` says why it is
 * answered with an error without being made (a tool not offered, arguments not an object or too
 * long). */
export interface AgentToolCall extends ToolCall {
  readonly refused?: string
}

/** A call's result as the agent keeps it (its text clipped to AGENT_TOOL_RESULT_BYTES). */
export interface AgentToolResult {
  readonly callId: string
  readonly name: string
  readonly isError: boolean
  readonly text: string
}

/** Why an answer ended: the model's end of text, the token limit, the asker cancelled, the context
 * was full, or the node stopped (or the agent moved) before it ended: what was said is kept.
 * 'tool-calls': a turn that called tools (its results follow), or an answer whose model still
 * called tools after its last round (MAX_TOOL_ROUNDS), those calls not made. */
export type AgentStopReason = 'eos' | 'max-tokens' | 'cancelled' | 'context-full' | 'interrupted' | 'tool-calls'

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
  /** The most recent turns (at most MAX_AGENT_TURNS of protocols/limits.ts), oldest first. */
  readonly history: readonly AgentTurn[]
  /** The highest source seq imported from each source (absent: none imported). */
  readonly imported?: Readonly<Record<string, number>>
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
  /** The agent calls a tool (`arguments`: the call's arguments as JSON), once the call is journaled. */
  | { readonly kind: 'tool-call', readonly id: string, readonly name: string, readonly arguments: string }
  /** A tool's result, once journaled; `text` clipped to STREAM_TOOL_RESULT_BYTES (`clipped` says so). */
  | { readonly kind: 'tool-result', readonly id: string, readonly name: string, readonly isError: boolean, readonly text: string, readonly clipped: boolean }
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
  /** Prompt tokens taken from the agent's KV cache (its previous turns), not evaluated again. */
  readonly cachedTokens?: number
  /** Where that cache was: 'memory', 'disk' (a saved state) or 'miss'; absent: no cache kept. */
  readonly cache?: 'memory' | 'disk' | 'miss'
}

export interface AgentSettingsChange {
  readonly persona?: string
  readonly model?: string
  readonly sampling?: Partial<AgentSampling>
}

export type AgentMsg =
  /** `user` is who asks: only the agent's own user may (PermissionDeniedError otherwise). `tool`:
   * the model must call this tool (a qualified name) in the ask's first round, and choose freely
   * after; it must be one the user may use now (ToolDeniedError otherwise, nothing journaled). */
  | { readonly type: 'ask', readonly user: string, readonly text: string, readonly requestId: string, readonly sink: AgentSink, readonly tool?: string, readonly replyTo: ReplyTo<AgentAnswer> }
  | { readonly type: 'cancel', readonly user: string, readonly requestId: string }
  | { readonly type: 'history', readonly user: string, readonly limit: number, readonly replyTo: ReplyTo<AgentTurn[]> }
  | { readonly type: 'settings', readonly user: string, readonly replyTo: ReplyTo<AgentSettings> }
  /** The models the agent's node can run now: what `configure` may choose (a chat page's list). */
  | { readonly type: 'models', readonly user: string, readonly replyTo: ReplyTo<readonly string[]> }
  | { readonly type: 'configure', readonly user: string, readonly change: AgentSettingsChange, readonly replyTo: ReplyTo<AgentSettings> }
  | { readonly type: 'reset', readonly user: string, readonly replyTo: ReplyTo<number> }
  /** An admin's erasure of `user` (the agent's own user): the conversation and the settings go, and
   * the journal is trimmed whole, so no replica keeps a turn. Never sent by a chat client. */
  | { readonly type: 'erase', readonly user: string, readonly by: string, readonly replyTo: ReplyTo<AgentErasure> }
  /** From the agent to itself: a generation it started has ended. */
  | { readonly type: 'generation-ended', readonly requestId: string, readonly outcome: GenerationOutcome }
  /** From the agent to itself: the tool calls of its answer's round have ended (in call order). */
  | { readonly type: 'tools-ended', readonly requestId: string, readonly results: readonly AgentToolResult[] }
  /** A page of the journal as stored, for an export (agent-transfer.ts). */
  | { readonly type: 'export-page', readonly user: string, readonly after: number, readonly limit: number, readonly json?: boolean, readonly replyTo: ReplyTo<TransferPage<AgentEvent>> }
  /** Turns of another export (each item's `user` is its role: 'user' or 'assistant'), appended in one
   * event past the source's watermark (agent-transfer.ts); `dryRun`: only say what would be added. */
  | { readonly type: 'import', readonly user: string, readonly source: string, readonly turns: readonly ImportItem[], readonly dryRun?: boolean, readonly replyTo: ReplyTo<ImportOutcome> }

export type GenerationOutcome =
  /** `calls`: the tools the model called (stopReason 'tool-calls'), at most MAX_TOOL_CALLS_PER_ROUND. */
  | { readonly ok: true, readonly answer: AgentAnswer, readonly calls?: readonly AgentToolCall[] }
  | { readonly ok: false, readonly error: ErrorData }

export type AgentEvent =
  | { readonly type: 'user-asked', readonly requestId: string, readonly text: string, readonly ts: number }
  | { readonly type: 'agent-answered', readonly requestId: string, readonly text: string, readonly model: string, readonly stopReason: AgentStopReason, readonly ts: number }
  /** The generation failed: the question it answered is taken out of the history again. */
  | { readonly type: 'answer-failed', readonly requestId: string, readonly error: string, readonly ts: number }
  /** The model called tools (its text so far, often empty); their results follow as tools-answered. */
  | { readonly type: 'tools-called', readonly requestId: string, readonly text: string, readonly model: string, readonly calls: readonly ToolCall[], readonly ts: number }
  | { readonly type: 'tools-answered', readonly requestId: string, readonly results: readonly AgentToolResult[], readonly ts: number }
  | { readonly type: 'agent-configured', readonly settings: AgentSettings, readonly ts: number }
  | { readonly type: 'history-reset', readonly ts: number }
  /** The user was erased: the history empty and the settings back to `settings` (the defaults). */
  | { readonly type: 'agent-erased', readonly settings: AgentSettings, readonly ts: number }
  /** Turns imported from `source`, in its order (each with its importedFrom). */
  | { readonly type: 'turns-imported', readonly source: string, readonly turns: readonly AgentTurn[], readonly ts: number }

/** The answer to `erase` (once W replicas dropped every record): the turns the conversation had. */
export interface AgentErasure {
  readonly turns: number
}

/** Each user's AI agent: `agent/<user>`. */
export const AGENT = entityTypeKey<AgentMsg>('agent')
/** Asks one agent holds while it answers another: beyond it AgentBusyError. */
export const MAX_PENDING_ASKS = 4
/** Longest persona (system prompt), in UTF-8 bytes. */
export const MAX_PERSONA_BYTES = 8192
/** Longest request id an agent or a room takes: a gRPC Ask's is a UUID, a room's
 * `room/<name>/<seq>` (names of entity keys are at most 200 characters). */
export const MAX_REQUEST_ID_LENGTH = 256
/** Longest model name in a settings change or an answer. */
const MAX_MODEL_NAME_LENGTH = 256

/** A tool an ask forces: a qualified name `<source>__<tool>` (no `*`), at most TOOL_NAME_MAX. */
const FORCED_TOOL = /^[a-z][a-z0-9-]{0,23}__[a-zA-Z0-9_-]+$/
export const FORCED_TOOL_RULE = `a qualified tool name <source>__<tool> of at most ${TOOL_NAME_MAX} characters`

/** Whether `value` names one tool, as an ask may force it. */
export function isForcedTool (value: unknown): value is string {
  return typeof value === 'string' && value.length <= TOOL_NAME_MAX && FORCED_TOOL.test(value)
}

/** The fields a settings change may set. */
const CHANGE_FIELDS: ReadonlySet<string> = new Set(['persona', 'model', 'sampling'])

export const DEFAULT_PERSONA = 'You are a helpful assistant. Answer briefly and clearly.'

/** The ranges of the sampling settings a user may choose. */
export const SAMPLING_RANGES = {
  temperature: { min: 0, max: 2, integer: false },
  topP: { min: 0, max: 1, integer: false },
  topK: { min: 0, max: 1000, integer: true },
  maxTokens: { min: 1, max: 1_048_576, integer: true }
} as const

/**
 * Checks a settings change as sent (every field optional) and throws InvalidAgentRequestError
 * naming the first bad field. `maxTokensLimit` (the context size of the agent's node) bounds
 * maxTokens further where it is known. The gRPC layer runs it before the request reaches the
 * agent, and the agent again (its messages may come from another node).
 */
export function checkSettingsChange (change: AgentSettingsChange, maxTokensLimit?: number): void {
  const invalid = (why: string): never => { throw new InvalidAgentRequestError(why) }
  if (typeof change !== 'object' || change === null || Array.isArray(change)) invalid('settings: expected an object')
  // an unknown field would be journaled into the agent's settings (a peer's message is data)
  const unknown = Object.keys(change).find((k) => !CHANGE_FIELDS.has(k))
  if (unknown !== undefined) invalid(`${clip(unknown, 40)}: not a setting; expected ${[...CHANGE_FIELDS].join(', ')}`)
  if (change.persona !== undefined) {
    if (typeof change.persona !== 'string') invalid('persona: expected a string')
    const bytes = Buffer.byteLength(change.persona, 'utf8')
    if (bytes > MAX_PERSONA_BYTES) invalid(`persona: ${bytes} bytes is over the limit of ${MAX_PERSONA_BYTES}`)
  }
  if (change.model !== undefined && (typeof change.model !== 'string' || change.model.length > MAX_MODEL_NAME_LENGTH)) invalid('model: expected a model name (see plexi admin models ls)')
  const sampling: Record<string, unknown> = change.sampling ?? {}
  if (typeof sampling !== 'object' || sampling === null || Array.isArray(sampling)) invalid('sampling: expected an object')
  const unknownSampling = Object.keys(sampling).find((k) => !Object.hasOwn(SAMPLING_RANGES, k))
  if (unknownSampling !== undefined) invalid(`sampling.${clip(unknownSampling, 40)}: not a sampling setting; expected ${Object.keys(SAMPLING_RANGES).join(', ')}`)
  for (const [key, range] of Object.entries(SAMPLING_RANGES)) {
    const value = sampling[key]
    if (value === undefined) continue
    const max = key === 'maxTokens' && maxTokensLimit !== undefined ? Math.min(range.max, maxTokensLimit) : range.max
    if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > max || (range.integer && !Number.isInteger(value))) {
      invalid(`${key}: expected ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${max}, got ${String(value).slice(0, 40)}`)
    }
  }
}

/** Every type of AgentMsg (a type added to AgentMsg and missing here does not compile). */
const AGENT_MSG_TYPES = Object.keys({
  ask: true, cancel: true, history: true, settings: true, models: true, configure: true, reset: true, erase: true, 'generation-ended': true, 'tools-ended': true, 'export-page': true, import: true
} satisfies Record<AgentMsg['type'], true>)

/** The roles an imported turn may have: questions and answers (tool rounds are not imported). */
export const IMPORTED_ROLES = ['user', 'assistant'] as const

const STOP_REASONS: readonly AgentStopReason[] = ['eos', 'max-tokens', 'cancelled', 'context-full', 'interrupted', 'tool-calls']

/**
 * The agent's EntityType.check: throws InvalidMessageError (or, for a settings change,
 * InvalidAgentRequestError) naming the first field of `msg` that is not what AgentMsg says.
 * Questions are texts within MAX_CHAT_TEXT_BYTES, as the gRPC server lets them in.
 */
export function checkAgentMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'agent message')
  switch (m.type) {
    case 'ask':
      m.userName('user')
      m.text('text', MAX_CHAT_TEXT_BYTES)
      m.string('requestId', MAX_REQUEST_ID_LENGTH)
      checkSink(m.object('sink'))
      if (m.raw('tool') !== undefined && !isForcedTool(m.raw('tool'))) m.refuse('tool', FORCED_TOOL_RULE)
      m.replyTo()
      return
    case 'cancel':
      m.userName('user')
      m.string('requestId', MAX_REQUEST_ID_LENGTH)
      return
    case 'history':
      m.userName('user')
      m.integer('limit', 1, MAX_AGENT_TURNS)
      m.replyTo()
      return
    case 'settings':
    case 'models':
    case 'reset':
      m.userName('user')
      m.replyTo()
      return
    case 'erase':
      m.userName('user')
      m.string('by', 256)
      m.replyTo()
      return
    case 'configure':
      m.userName('user')
      checkSettingsChange(m.raw('change') as AgentSettingsChange)
      m.replyTo()
      return
    case 'generation-ended': {
      m.string('requestId', MAX_REQUEST_ID_LENGTH)
      const outcome = m.object('outcome')
      const ok = outcome.raw('ok')
      if (ok === true) {
        checkAnswer(outcome.object('answer'))
        if (outcome.raw('calls') !== undefined) checkCalls(outcome)
      } else if (ok !== false) {
        outcome.refuse('ok', 'true or false')
      } else if (!isErrorData(outcome.raw('error'))) {
        outcome.refuse('error', 'an error as data { name, message, kind, fields? }')
      }
      return
    }
    case 'tools-ended':
      m.string('requestId', MAX_REQUEST_ID_LENGTH)
      checkResults(m)
      return
    case 'export-page':
      m.userName('user')
      checkExportPage(m)
      return
    case 'import':
      m.userName('user')
      checkImportBatch(m, 'turns')
      for (const turn of m.objects('turns', Number.MAX_SAFE_INTEGER)) turn.oneOf('user', IMPORTED_ROLES)
      return
    default:
      m.unknownType(AGENT_MSG_TYPES)
  }
}

/** An AgentStreamEvent (a room and a gateway take them): its fields after `type`. */
export function checkAgentStreamEvent (m: MessageCheck): void {
  m.string('requestId', MAX_REQUEST_ID_LENGTH)
  const event = m.object('event')
  switch (event.oneOf('kind', ['queued', 'token', 'tool-call', 'tool-result'])) {
    case 'queued':
      event.integer('position', 0, Number.MAX_SAFE_INTEGER)
      return
    case 'token':
      event.string('text', MAX_CHAT_TEXT_BYTES, 0)
      return
    case 'tool-call':
      event.string('id', MAX_TOOL_CALL_ID_LENGTH)
      event.string('name', TOOL_NAME_MAX)
      event.string('arguments', MAX_TOOL_ARGS_BYTES, 2)
      return
    case 'tool-result':
      event.string('id', MAX_TOOL_CALL_ID_LENGTH)
      event.string('name', TOOL_NAME_MAX)
      event.boolean('isError')
      event.string('text', STREAM_TOOL_RESULT_BYTES, 0)
      event.boolean('clipped')
  }
}

/** A generation's tool calls, as the agent makes them (normalizeCalls). */
function checkCalls (outcome: MessageCheck): void {
  for (const c of outcome.objects('calls', MAX_TOOL_CALLS_PER_ROUND)) {
    c.string('id', MAX_TOOL_CALL_ID_LENGTH)
    c.string('name', TOOL_NAME_MAX)
    c.object('arguments')
    if (jsonLength(c.raw('arguments')) > MAX_TOOL_ARGS_BYTES) c.refuse('arguments', `an object of at most ${MAX_TOOL_ARGS_BYTES} characters as JSON`)
    if (c.raw('refused') !== undefined) c.string('refused', MAX_CHAT_TEXT_BYTES)
  }
}

/** A round's results, in call order. */
function checkResults (m: MessageCheck): void {
  const results = m.objects('results', MAX_TOOL_CALLS_PER_ROUND)
  if (results.length === 0) m.refuse('results', 'at least one tool result')
  for (const r of results) {
    r.string('callId', MAX_TOOL_CALL_ID_LENGTH)
    r.string('name', TOOL_NAME_MAX)
    r.boolean('isError')
    r.string('text', AGENT_TOOL_RESULT_BYTES, 0)
  }
}

/** JSON's length of a value, or Infinity for one JSON cannot hold (undefined, a BigInt, a cycle). */
export function jsonLength (value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? Number.POSITIVE_INFINITY
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

function checkSink (sink: MessageCheck): void {
  if (sink.oneOf('kind', ['actor', 'entity']) === 'actor') {
    sink.address('address')
  } else {
    sink.entityType('type')
    sink.entityKey('key')
  }
}

function checkAnswer (answer: MessageCheck): void {
  answer.string('requestId', MAX_REQUEST_ID_LENGTH)
  // a whole answer: as long as the token limit made it (the frame limit bounds it)
  answer.string('text', Number.MAX_SAFE_INTEGER, 0)
  answer.string('model', MAX_MODEL_NAME_LENGTH, 0)
  answer.oneOf('stopReason', STOP_REASONS)
  for (const count of ['promptTokens', 'completionTokens', 'droppedTurns'] as const) answer.integer(count, 0, Number.MAX_SAFE_INTEGER)
  for (const ms of ['ttftMs', 'durationMs'] as const) answer.number(ms)
  if (answer.raw('cachedTokens') !== undefined) answer.integer('cachedTokens', 0, Number.MAX_SAFE_INTEGER)
  if (answer.raw('cache') !== undefined) answer.oneOf('cache', CACHE_SOURCES)
}

const CACHE_SOURCES = ['memory', 'disk', 'miss'] as const
