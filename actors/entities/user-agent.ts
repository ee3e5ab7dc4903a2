import { MAX_AGENT_TURNS, assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { generationEnded, startAnswer, tellSink, toolsEnded, unanswered } from './agent-answer.ts'
import type { AgentContext, AgentVolatile, AnswerDeps, AskMsg } from './agent-answer.ts'
import { agentExportPage, agentImport, applyTurnsImported } from './agent-transfer.ts'
import { AgentBusyError, PermissionDeniedError } from './errors.ts'
import { AGENT, DEFAULT_PERSONA, MAX_PENDING_ASKS, checkAgentMsg, checkSettingsChange } from './user-agent-protocol.ts'
import type { AgentErasure, AgentEvent, AgentMsg, AgentSampling, AgentSettings, AgentSettingsChange, AgentState, AgentTurn } from './user-agent-protocol.ts'

export interface UserAgentOptions extends AnswerDeps {
  /** Sampling for agents that set none. */
  readonly sampling: AgentSampling
  /** The most tokens a user may ask one answer to have. */
  readonly maxTokensLimit: number
}

/**
 * A user's AI agent: `agent/<user>`. Holds the persona, model choice, sampling settings and the
 * conversation, all journaled. It answers one question at a time (a conversation is ordered);
 * while it answers, further questions wait (at most MAX_PENDING_ASKS). The generation runs
 * outside the mailbox, so that a cancel or a history read is handled while it streams; its end
 * comes back as a `generation-ended` message and is journaled before the asker is answered.
 * Given `tools`, it offers the model the tools its user may use, makes the calls the model asks
 * for and generates again with their results, a bounded number of rounds (agent-answer.ts).
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
    case 'tools-called':
      return {
        ...state,
        history: bounded([...state.history, {
          role: 'assistant', content: event.text, ts: event.ts, requestId: event.requestId, stopReason: 'tool-calls', model: event.model, toolCalls: event.calls
        }])
      }
    case 'tools-answered':
      return {
        ...state,
        history: bounded([...state.history, ...event.results.map((r): AgentTurn => ({
          role: 'tool', content: r.text, ts: event.ts, requestId: event.requestId, toolCallId: r.callId, toolName: r.name, isError: r.isError
        }))])
      }
    case 'answer-failed':
      return { ...state, history: state.history.filter((t) => t.requestId !== event.requestId) }
    case 'agent-configured':
      return { ...state, settings: event.settings }
    case 'history-reset':
      return { ...state, history: [] }
    case 'agent-erased':
      return { settings: event.settings, history: [] }
    case 'turns-imported':
      return applyTurnsImported(state, event)
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
  if (msg.type !== 'generation-ended' && msg.type !== 'tools-ended' && msg.user !== ctx.key) {
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
    case 'models':
      ctx.reply(msg.replyTo, [...options.inference.models?.() ?? []])
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
    case 'erase':
      ctx.reply(msg.replyTo, await erase(ctx, options))
      return
    case 'generation-ended':
      await generationEnded(ctx, msg.requestId, msg.outcome, options)
      return
    case 'tools-ended':
      await toolsEnded(ctx, msg.requestId, msg.results, options)
      return
    case 'export-page':
      agentExportPage(ctx, msg)
      return
    case 'import':
      await agentImport(ctx, msg)
      return
    default:
      assertNever(msg, 'agent message')
  }
}

/** A question: answered now, or queued behind the one being answered (at most MAX_PENDING_ASKS). */
async function ask (ctx: AgentContext, msg: AskMsg, options: UserAgentOptions): Promise<void> {
  const v = ctx.volatile
  if (v.current === undefined && v.pending.length === 0) {
    await startAnswer(ctx, msg, options)
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
  const turns = dropInFlight(ctx)
  await ctx.persist({ type: 'history-reset', ts: Date.now() })
  return turns
}

/** Drops the answer in progress and answers the questions waiting empty; the turns there were. */
function dropInFlight (ctx: AgentContext): number {
  const v = ctx.volatile
  if (v.current !== undefined) {
    v.current.discard = true
    v.current.controller.abort()
  }
  for (const waiting of v.pending.splice(0)) ctx.reply(waiting.replyTo, unanswered(waiting.requestId, ctx.state.settings.model))
  return ctx.state.history.length
}

/** Erases the user's conversation and settings: an `agent-erased` event empties the state, then
 * the journal is trimmed past it (a snapshot of the empty state covers it), so no replica keeps a
 * turn or a setting. */
async function erase (ctx: AgentContext, options: UserAgentOptions): Promise<AgentErasure> {
  const turns = dropInFlight(ctx)
  await ctx.persist({ type: 'agent-erased', settings: { persona: DEFAULT_PERSONA, model: '', sampling: options.sampling }, ts: Date.now() })
  await ctx.trim(ctx.durableSeq + 1)
  return { turns }
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
