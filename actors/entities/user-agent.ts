import { MAX_AGENT_TURNS, assertNever, describe, errorData, rebuildError } from '../../protocols/index.ts'
import { entityTypeKey } from '../kernel/index.ts'
import type { EntityContext, EntityType } from '../kernel/index.ts'
import { AgentBusyError, PermissionDeniedError } from './errors.ts'
import { AGENT, DEFAULT_PERSONA, MAX_PENDING_ASKS, checkAgentMsg, checkSettingsChange } from './user-agent-protocol.ts'
import type {
  AgentAnswer, AgentEvent, AgentMsg, AgentSampling, AgentSettings, AgentSettingsChange, AgentSink, AgentState, AgentStopReason,
  AgentStreamEvent, AgentTurn, GenerationOutcome
} from './user-agent-protocol.ts'

/** A conversation as the inference component takes it. */
export interface AgentPrompt {
  readonly messages: ReadonlyArray<{ readonly role: 'system' | 'user' | 'assistant', readonly content: string }>
  readonly sampling: AgentSampling
}

/** What an agent needs from the node to answer: handed to it, never imported (actors/ reaches
 * the outside only through components). */
export interface AgentInference {
  /**
   * Runs the prompt on `model` (empty: the node's default model) on behalf of `user`, whose
   * rate limits apply. Resolves with the model used and the result (also when cancelled).
   * `cacheKey` names the conversation, so that its next turn may reuse this one's KV cache.
   */
  generate (user: string, model: string, prompt: AgentPrompt, onToken: (text: string) => void,
    options: { readonly signal: AbortSignal, readonly onQueued: (position: number) => void, readonly cacheKey: string }): Promise<Omit<AgentAnswer, 'requestId'>>
  /** Throws (UnknownModelError) if `model` cannot be chosen. */
  checkModel (model: string): void
}

export interface UserAgentOptions {
  readonly inference: AgentInference
  /** Sampling for agents that set none. */
  readonly sampling: AgentSampling
  /** The most tokens a user may ask one answer to have. */
  readonly maxTokensLimit: number
}

type AskMsg = Extract<AgentMsg, { type: 'ask' }>

interface Answering {
  readonly ask: AskMsg
  readonly controller: AbortController
  /** Set by a reset: the answer is dropped, not journaled. */
  discard: boolean
  /** Set by an interrupt (the node stops): the partial answer is kept as 'interrupted'. */
  interrupted: boolean
}

interface AgentVolatile {
  current: Answering | undefined
  readonly pending: AskMsg[]
}

type AgentContext = EntityContext<AgentMsg, AgentState, AgentEvent, AgentVolatile>

/**
 * A user's AI agent: `agent/<user>`. Holds the persona, model choice, sampling settings and the
 * conversation, all journaled. It answers one question at a time (a conversation is ordered);
 * while it answers, further questions wait (at most MAX_PENDING_ASKS). The generation runs
 * outside the mailbox, so that a cancel or a history read is handled while it streams; its end
 * comes back as a `generation-ended` message and is journaled before the asker is answered.
 */
export function userAgent (options: UserAgentOptions): EntityType<AgentMsg, AgentState, AgentEvent, AgentVolatile> {
  return {
    type: AGENT.type,
    role: 'ai',
    check: checkAgentMsg,
    initialState: () => ({ settings: { persona: DEFAULT_PERSONA, model: '', sampling: options.sampling }, history: [] }),
    applyEvent: applyAgentEvent,
    createVolatile: () => ({ current: undefined, pending: [] }),
    canPassivate: (ctx) => ctx.volatile.current === undefined && ctx.volatile.pending.length === 0,
    // an answer being generated, and the questions waiting for it, live only in this activation
    busy: (ctx) => ctx.volatile.current !== undefined || ctx.volatile.pending.length > 0,
    interrupt: interruptAgent,
    receive: async (ctx, msg) => { await receiveAgentMsg(ctx, msg, options) }
  }
}

/** The agent's state after `event` (recovery replays the same). */
function applyAgentEvent (state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case 'user-asked':
      return { ...state, history: bounded([...state.history, { role: 'user', content: event.text, ts: event.ts, requestId: event.requestId }]) }
    case 'agent-answered':
      return {
        ...state,
        history: bounded([...state.history, {
          role: 'assistant', content: event.text, ts: event.ts, requestId: event.requestId, stopReason: event.stopReason, model: event.model
        }])
      }
    case 'answer-failed':
      return { ...state, history: state.history.filter((t) => t.requestId !== event.requestId) }
    case 'agent-configured':
      return { ...state, settings: event.settings }
    case 'history-reset':
      return { ...state, history: [] }
    default:
      return assertNever(event, 'agent event')
  }
}

/** The node stops: the questions waiting are answered 'interrupted', and the answer in progress
 * ends as one (its partial text is kept). */
function interruptAgent (ctx: AgentContext): void {
  const v = ctx.volatile
  for (const ask of v.pending.splice(0)) ctx.reply(ask.replyTo, unanswered(ask.requestId, ctx.state.settings.model, 'interrupted'))
  if (v.current !== undefined && !v.current.discard) {
    v.current.interrupted = true
    v.current.controller.abort()
  }
}

async function receiveAgentMsg (ctx: AgentContext, msg: AgentMsg, options: UserAgentOptions): Promise<void> {
  if (msg.type !== 'generation-ended' && msg.user !== ctx.key) {
    if ('replyTo' in msg) ctx.fail(msg.replyTo, new PermissionDeniedError(`only ${ctx.key} may talk to ${ctx.key}'s agent`))
    return
  }
  switch (msg.type) {
    case 'ask':
      await ask(ctx, msg, options)
      return
    case 'cancel':
      cancel(ctx, msg.requestId)
      return
    case 'history': {
      const limit = Math.max(1, Math.min(MAX_AGENT_TURNS, Math.floor(msg.limit)))
      ctx.reply(msg.replyTo, ctx.state.history.slice(-limit))
      return
    }
    case 'settings':
      ctx.reply(msg.replyTo, ctx.state.settings)
      return
    case 'configure': {
      const settings = applyChange(ctx.state.settings, msg.change, options)
      await ctx.persist({ type: 'agent-configured', settings, ts: Date.now() })
      ctx.reply(msg.replyTo, settings)
      return
    }
    case 'reset':
      ctx.reply(msg.replyTo, await reset(ctx))
      return
    case 'generation-ended':
      await ended(ctx, msg.requestId, msg.outcome, options)
      return
    default:
      assertNever(msg, 'agent message')
  }
}

/** A question: answered now, or queued behind the one being answered (at most MAX_PENDING_ASKS). */
async function ask (ctx: AgentContext, msg: AskMsg, options: UserAgentOptions): Promise<void> {
  const v = ctx.volatile
  if (v.current === undefined && v.pending.length === 0) {
    await start(ctx, msg, options)
    return
  }
  if (v.pending.length >= MAX_PENDING_ASKS) {
    ctx.fail(msg.replyTo, new AgentBusyError(`your agent is answering and has ${v.pending.length} questions waiting (the most it holds); wait for an answer or cancel one`))
    return
  }
  v.pending.push(msg)
  tellSink(ctx, msg.sink, { type: 'agent-stream', requestId: msg.requestId, event: { kind: 'queued', position: v.pending.length } })
}

/** Cancels the answer in progress (its end is journaled as usual) or a question still waiting. */
function cancel (ctx: AgentContext, requestId: string): void {
  const v = ctx.volatile
  if (v.current?.ask.requestId === requestId) {
    v.current.controller.abort()
    return
  }
  const at = v.pending.findIndex((a) => a.requestId === requestId)
  if (at < 0) return
  const [waiting] = v.pending.splice(at, 1)
  if (waiting !== undefined) ctx.reply(waiting.replyTo, unanswered(waiting.requestId, ctx.state.settings.model))
}

/** Forgets the conversation: the answer in progress is dropped, the questions waiting are answered
 * empty. Returns how many turns there were. */
async function reset (ctx: AgentContext): Promise<number> {
  const v = ctx.volatile
  if (v.current !== undefined) {
    v.current.discard = true
    v.current.controller.abort()
  }
  for (const waiting of v.pending.splice(0)) ctx.reply(waiting.replyTo, unanswered(waiting.requestId, ctx.state.settings.model))
  const turns = ctx.state.history.length
  await ctx.persist({ type: 'history-reset', ts: Date.now() })
  return turns
}

/**
 * Journals the question and starts the generation without waiting for either: the prompt's
 * evaluation overlaps the question's write (an fsync), and no token reaches the asker before the
 * question is durable (tokens made sooner wait, then go out as one piece). Should the write fail,
 * the generation is cancelled and forgotten and the entity crashes, as before it began.
 */
async function start (ctx: AgentContext, ask: AskMsg, options: UserAgentOptions): Promise<void> {
  // applyEvent runs at once: the state below already holds the question
  const written = ctx.persist({ type: 'user-asked', requestId: ask.requestId, text: ask.text, ts: Date.now() })
  const answering: Answering = { ask, controller: new AbortController(), discard: false, interrupted: false }
  ctx.volatile.current = answering
  const { settings, history } = ctx.state
  const prompt: AgentPrompt = {
    messages: [{ role: 'system', content: settings.persona }, ...history.map((t) => ({ role: t.role, content: t.content }))],
    sampling: settings.sampling
  }
  const self = ctx.self
  const signal = answering.controller.signal
  let durable = false
  let held = ''
  const send = (text: string): void => {
    // a sink that cannot take more (gone, or its mailbox full) ends the generation: nobody reads it
    if (!tellSink(ctx, ask.sink, { type: 'agent-stream', requestId: ask.requestId, event: { kind: 'token', text } })) answering.controller.abort()
  }
  const onToken = (text: string): void => {
    if (durable) send(text)
    else held += text
  }
  const onQueued = (position: number): void => {
    tellSink(ctx, ask.sink, { type: 'agent-stream', requestId: ask.requestId, event: { kind: 'queued', position } })
  }
  options.inference.generate(ask.user, settings.model, prompt, onToken, { signal, onQueued, cacheKey: `${AGENT.type}/${ctx.key}` }).then(
    (result): GenerationOutcome => ({ ok: true, answer: { ...result, requestId: ask.requestId } }),
    (err: unknown): GenerationOutcome => ({ ok: false, error: errorData(err) })
  ).then((outcome) => { self.tell({ type: 'generation-ended', requestId: ask.requestId, outcome }) })
    .catch((err: unknown) => { ctx.log.warn({ err }, `agent ${ctx.key} could not take the end of its generation: ${describe(err)}`) })
  try {
    await written
  } catch (err) {
    // forgotten: its end is ignored (another request id), and the crash-restart recovers without the question
    if (ctx.volatile.current === answering) ctx.volatile.current = undefined
    answering.controller.abort()
    throw err
  }
  durable = true
  if (held !== '') send(held)
}

async function ended (ctx: AgentContext, requestId: string, outcome: GenerationOutcome, options: UserAgentOptions): Promise<void> {
  const current = ctx.volatile.current
  if (current?.ask.requestId !== requestId) return   // a generation from before a crash-restart
  ctx.volatile.current = undefined
  const { ask } = current
  if (current.discard) {
    ctx.reply(ask.replyTo, unanswered(requestId, ctx.state.settings.model))
  } else if (!outcome.ok) {
    await ctx.persist({ type: 'answer-failed', requestId, error: `${outcome.error.name}: ${outcome.error.message}`, ts: Date.now() })
    ctx.fail(ask.replyTo, rebuildError(outcome.error))
  } else {
    // an interrupt stops the generation as a cancel does; the answer says which it was
    const stopReason: AgentStopReason = current.interrupted && outcome.answer.stopReason === 'cancelled' ? 'interrupted' : outcome.answer.stopReason
    const a = { ...outcome.answer, stopReason }
    if (a.text.length === 0 && (stopReason === 'cancelled' || stopReason === 'interrupted')) {
      await ctx.persist({ type: 'answer-failed', requestId, error: `${stopReason} before the first token`, ts: Date.now() })
    } else {
      await ctx.persist({ type: 'agent-answered', requestId, text: a.text, model: a.model, stopReason, ts: Date.now() })
    }
    ctx.reply(ask.replyTo, a)
  }
  const next = ctx.volatile.pending.shift()
  if (next !== undefined) await start(ctx, next, options)
}

/** Tells the sink; false if it cannot take the event (gone or full). */
function tellSink (ctx: AgentContext, sink: AgentSink, event: AgentStreamEvent): boolean {
  try {
    if (sink.kind === 'entity') {
      // the sink names the entity type as data (it crossed the wire): an entity that takes the stream
      ctx.entity(entityTypeKey<AgentStreamEvent>(sink.type), sink.key).tell(event)
      return true
    }
    // on this node or another: the stream goes to the asking client's gateway
    return ctx.actorAt<AgentStreamEvent>(sink.address).tell(event)
  } catch {
    return false
  }
}

function unanswered (requestId: string, model: string, stopReason: AgentStopReason = 'cancelled'): AgentAnswer {
  return { requestId, text: '', model, stopReason, promptTokens: 0, completionTokens: 0, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
}

function bounded (history: AgentTurn[]): AgentTurn[] {
  return history.length > MAX_AGENT_TURNS ? history.slice(-MAX_AGENT_TURNS) : history
}

/** Validates a Configure request (every field optional) and returns the new settings; a bad one
 * throws InvalidAgentRequestError or UnknownModelError, which the kernel answers as a refusal. */
function applyChange (settings: AgentSettings, change: AgentSettingsChange, options: UserAgentOptions): AgentSettings {
  checkSettingsChange(change, options.maxTokensLimit)
  let { persona, model } = settings
  if (change.persona !== undefined) persona = change.persona.length === 0 ? DEFAULT_PERSONA : change.persona
  if (change.model !== undefined) {
    if (change.model.length > 0) options.inference.checkModel(change.model)
    model = change.model
  }
  return { persona, model, sampling: { ...settings.sampling, ...change.sampling } }
}
