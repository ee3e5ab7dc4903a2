import { clip, describe, errorData, rebuildError } from '../../protocols/index.ts'
import type { ToolCall, ToolChoice, ToolProvider } from '../../protocols/index.ts'
import { entityTypeKey } from '../kernel/index.ts'
import type { EntityContext } from '../kernel/index.ts'
import { agentPrompt, toolDefinitions } from './agent-prompt.ts'
import type { AgentPrompt, AgentToolDefinition } from './agent-prompt.ts'
import { callTools, forcedToolOffer, normalizeCalls, offerTools, streamedCall, streamedResult } from './agent-tool-calls.ts'
import { AGENT_TOOL_DEADLINE_GRACE_MS, AGENT_TOOL_DEADLINE_MS, MAX_TOOL_ROUNDS, TOOL_LIST_TIMEOUT_MS } from './constants.ts'
import { AGENT } from './user-agent-protocol.ts'
import type {
  AgentAnswer, AgentEvent, AgentMsg, AgentSink, AgentState, AgentStopReason, AgentStreamEvent, AgentToolCall, AgentToolResult, GenerationOutcome
} from './user-agent-protocol.ts'

/** What one generation gives back: its answer's text and usage, and the tools the model called
 * (stopReason 'tool-calls'). */
export type AgentGeneration = Omit<AgentAnswer, 'requestId'> & { readonly toolCalls?: readonly ToolCall[] }

/** What an agent needs from the node to answer: handed to it, never imported (actors/ reaches
 * the outside only through components). */
export interface AgentInference {
  /**
   * Runs the prompt on `model` (empty: the node's default model) on behalf of `user`, whose
   * rate limits apply. Resolves with the model used and the result (also when cancelled).
   * `cacheKey` names the conversation, so that its next turn may reuse this one's KV cache.
   */
  generate (user: string, model: string, prompt: AgentPrompt, onToken: (text: string) => void,
    options: { readonly signal: AbortSignal, readonly onQueued: (position: number) => void, readonly cacheKey: string }): Promise<AgentGeneration>
  /** Throws (UnknownModelError) if `model` cannot be chosen. */
  checkModel (model: string): void
  /** The models this node can run now, sorted: those `checkModel` takes (absent: none to list). */
  models? (): readonly string[]
}

/** What answering takes from the agent's options. */
export interface AnswerDeps {
  readonly inference: AgentInference
  /** The tools agents may call for their users (each user's tool policy applies inside it); absent:
   * agents only talk. */
  readonly tools?: ToolProvider
  /** A tool call's deadline. @default AGENT_TOOL_DEADLINE_MS */
  readonly toolDeadlineMs?: number
}

export type AskMsg = Extract<AgentMsg, { type: 'ask' }>

/** The answer in progress, in the activation only (it never moves: the agent is busy meanwhile). */
export interface Answering {
  readonly ask: AskMsg
  readonly controller: AbortController
  /** Set by a reset: the answer is dropped, not journaled. */
  discard: boolean
  /** Set by an interrupt (the node stops): the partial answer is kept as 'interrupted'. */
  interrupted: boolean
  /** What runs outside the mailbox now: a generation, or the tool calls of a round. */
  phase: 'generating' | 'calling'
  /** Tool rounds made for this ask so far (at most MAX_TOOL_ROUNDS). */
  round: number
  /** The tools offered for this ask: listed once, before the ask is journaled when it forces a
   * tool, else by its first generation (`listed` says whether they are). */
  offered: readonly AgentToolDefinition[]
  listed: boolean
  /** The calls of the round in progress. */
  calls: readonly AgentToolCall[]
  /** The usage of the generations before this one (summed), once there was one. */
  before: AgentAnswer | undefined
  readonly startedAt: number
}

export interface AgentVolatile {
  current: Answering | undefined
  readonly pending: AskMsg[]
}

export type AgentContext = EntityContext<AgentMsg, AgentState, AgentEvent, AgentVolatile>

/**
 * Journals the question and starts the generation without waiting for either: the prompt's
 * evaluation overlaps the question's write (an fsync), and no token reaches the asker before the
 * question is durable (tokens made sooner wait, then go out as one piece). Should the write fail,
 * the generation is cancelled and forgotten and the entity crashes, as before it began. An ask that
 * forces a tool lists the user's tools first: one they may not use is refused with nothing
 * journaled, and the next question waiting starts.
 */
export async function startAnswer (ctx: AgentContext, ask: AskMsg, deps: AnswerDeps): Promise<void> {
  let offered: readonly AgentToolDefinition[] | undefined
  if (ask.tool !== undefined) {
    try {
      // the one wait of an ask inside the mailbox (bounded): a tool the user may not use is
      // refused before the question is journaled
      offered = await forcedToolOffer(deps.tools, ask.user, ask.tool, TOOL_LIST_TIMEOUT_MS)
    } catch (err) {
      ctx.fail(ask.replyTo, err)
      const next = ctx.volatile.pending.shift()
      if (next !== undefined) await startAnswer(ctx, next, deps)
      return
    }
  }
  // applyEvent runs at once: the state below already holds the question
  const written = ctx.persist({ type: 'user-asked', requestId: ask.requestId, text: ask.text, ts: Date.now() })
  const answering: Answering = {
    ask, controller: new AbortController(), discard: false, interrupted: false, phase: 'generating', round: 0, offered: offered ?? [], listed: offered !== undefined, calls: [], before: undefined, startedAt: performance.now()
  }
  ctx.volatile.current = answering
  const durable = generate(ctx, answering, deps)
  try {
    await written
  } catch (err) {
    // forgotten: its end is ignored (another request id), and the crash-restart recovers without the question
    if (ctx.volatile.current === answering) ctx.volatile.current = undefined
    answering.controller.abort()
    throw err
  }
  durable()
}

/**
 * Starts a generation of the answer outside the mailbox, its end told back as `generation-ended`:
 * the first lists the tools the user may use (they are offered for the whole ask); each after a
 * round of tool calls sees their results; after MAX_TOOL_ROUNDS the tools are shown but may not be
 * called, so the answer ends with text. Returns what releases the tokens held until the question
 * is durable.
 */
function generate (ctx: AgentContext, answering: Answering, deps: AnswerDeps): () => void {
  const { ask } = answering
  const { settings, history } = ctx.state
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
  const run = async (): Promise<GenerationOutcome> => {
    if (!answering.listed) {
      const tools = await offerTools(deps.tools, ask.user, TOOL_LIST_TIMEOUT_MS, (why) => { ctx.log.warn({ user: ask.user }, `agent ${ctx.key} answers without tools: ${why}`) })
      answering.offered = toolDefinitions(tools)
      answering.listed = true
    }
    const prompt = agentPrompt(settings, history, answering.offered, toolChoice(answering))
    const { toolCalls, ...answer } = await deps.inference.generate(ask.user, settings.model, prompt, onToken, { signal, onQueued, cacheKey: `${AGENT.type}/${ctx.key}` })
    const calls = answer.stopReason === 'tool-calls' ? normalizeCalls(toolCalls, new Set(answering.offered.map((t) => t.name))) : []
    return { ok: true, answer: { ...answer, requestId: ask.requestId }, ...(calls.length > 0 && { calls }) }
  }
  run().catch((err: unknown): GenerationOutcome => ({ ok: false, error: errorData(err) }))
    .then((outcome) => { self.tell({ type: 'generation-ended', requestId: ask.requestId, outcome }) })
    .catch((err: unknown) => { ctx.log.warn({ err }, `agent ${ctx.key} could not take the end of its generation: ${describe(err)}`) })
  return () => {
    durable = true
    if (held !== '') send(held)
  }
}

/** What the next generation may do with its tools: call the tool the ask forces (its first round
 * only), then choose freely, and after MAX_TOOL_ROUNDS call none. */
function toolChoice (answering: Answering): ToolChoice {
  if (answering.round >= MAX_TOOL_ROUNDS) return 'none'
  return answering.round === 0 && answering.ask.tool !== undefined ? { name: answering.ask.tool } : 'auto'
}

/** A generation ended: the answer is journaled and sent, or its tool calls are made. */
export async function generationEnded (ctx: AgentContext, requestId: string, outcome: GenerationOutcome, deps: AnswerDeps): Promise<void> {
  const current = ctx.volatile.current
  // a generation from before a crash-restart, or a forged end
  if (current?.ask.requestId !== requestId || current.phase !== 'generating') return
  const { ask } = current
  if (current.discard) {
    await finish(ctx, current, deps, () => { ctx.reply(ask.replyTo, unanswered(requestId, ctx.state.settings.model)) })
  } else if (!outcome.ok) {
    // the question and every turn of the ask (its tool calls) leave the history again
    await ctx.persist({ type: 'answer-failed', requestId, error: `${outcome.error.name}: ${outcome.error.message}`, ts: Date.now() })
    await finish(ctx, current, deps, () => { ctx.fail(ask.replyTo, rebuildError(outcome.error)) })
  } else if (outcome.calls !== undefined && outcome.calls.length > 0 && !current.controller.signal.aborted && current.round < MAX_TOOL_ROUNDS) {
    await callRound(ctx, current, outcome.answer, outcome.calls, deps)
  } else {
    await answered(ctx, current, outcome.answer, deps)
  }
}

/** Journals the calls, shows them to the asker, and makes them outside the mailbox: their end comes
 * back as `tools-ended`. */
async function callRound (ctx: AgentContext, current: Answering, answer: AgentAnswer, calls: readonly AgentToolCall[], deps: AnswerDeps): Promise<void> {
  const { ask } = current
  current.before = combined(current.before, answer, current.startedAt)
  current.phase = 'calling'
  current.calls = calls
  await ctx.persist({ type: 'tools-called', requestId: ask.requestId, text: answer.text, model: answer.model, calls: calls.map(({ refused: _refused, ...call }) => call), ts: Date.now() })
  for (const call of calls) stream(ctx, current, streamedCall(call))
  const self = ctx.self
  const timing = { deadlineMs: deps.toolDeadlineMs ?? AGENT_TOOL_DEADLINE_MS, graceMs: AGENT_TOOL_DEADLINE_GRACE_MS }
  // (callTools never rejects; were it to, each call would still end, as an error)
  callTools(deps.tools, ask.user, calls, current.controller.signal, timing)
    .catch((err: unknown): AgentToolResult[] => calls.map((c) => ({ callId: c.id, name: c.name, isError: true, text: clip(describe(err), 1_000) })))
    .then((results) => { self.tell({ type: 'tools-ended', requestId: ask.requestId, results }) })
    .catch((err: unknown) => { ctx.log.warn({ err }, `agent ${ctx.key} could not take the end of its tool calls: ${describe(err)}`) })
}

/** A round's calls ended: their results are journaled and shown, and the model generates again
 * with them (or, when the answer was stopped meanwhile, it ends). */
export async function toolsEnded (ctx: AgentContext, requestId: string, results: readonly AgentToolResult[], deps: AnswerDeps): Promise<void> {
  const current = ctx.volatile.current
  if (current?.ask.requestId !== requestId || current.phase !== 'calling') return
  // the results of this round's calls, in their order: anything else is not this round's end
  if (results.length !== current.calls.length || results.some((r, i) => r.callId !== current.calls[i]?.id)) return
  const { ask } = current
  if (current.discard) {
    await finish(ctx, current, deps, () => { ctx.reply(ask.replyTo, unanswered(requestId, ctx.state.settings.model)) })
    return
  }
  await ctx.persist({ type: 'tools-answered', requestId, results, ts: Date.now() })
  for (const result of results) stream(ctx, current, streamedResult(result))
  if (current.controller.signal.aborted) {
    // stopped while the tools ran: the answer ends here, with no text of its own
    await answered(ctx, current, unanswered(requestId, current.before?.model ?? ctx.state.settings.model), deps)
    return
  }
  current.round++
  current.phase = 'generating'
  current.calls = []
  // what it generates now follows durable turns: nothing to hold back
  generate(ctx, current, deps)()
}

/** The answer ended (its text, or stopped): journaled, then given to the asker. An answer stopped
 * before its first token and before any tool call is taken out of the history with its question;
 * one that called tools keeps them (they were made). */
async function answered (ctx: AgentContext, current: Answering, last: AgentAnswer, deps: AnswerDeps): Promise<void> {
  const { requestId } = current.ask
  const stopped = current.controller.signal.aborted
  // an interrupt stops the generation as a cancel does; the answer says which it was
  let stopReason: AgentStopReason = stopped && last.stopReason === 'tool-calls' ? 'cancelled' : last.stopReason
  if (current.interrupted && stopReason === 'cancelled') stopReason = 'interrupted'
  const a: AgentAnswer = { ...combined(current.before, last, current.startedAt), stopReason }
  if (a.text.length === 0 && (stopReason === 'cancelled' || stopReason === 'interrupted') && current.round === 0 && current.phase === 'generating') {
    await ctx.persist({ type: 'answer-failed', requestId, error: `${stopReason} before the first token`, ts: Date.now() })
  } else {
    await ctx.persist({ type: 'agent-answered', requestId, text: a.text, model: a.model, stopReason, ts: Date.now() })
  }
  await finish(ctx, current, deps, () => { ctx.reply(current.ask.replyTo, a) })
}

/** The answer in progress is over: its asker is answered, and the next question waiting starts. */
async function finish (ctx: AgentContext, current: Answering, deps: AnswerDeps, reply: () => void): Promise<void> {
  if (ctx.volatile.current === current) ctx.volatile.current = undefined
  reply()
  const next = ctx.volatile.pending.shift()
  if (next !== undefined) await startAnswer(ctx, next, deps)
}

/** The usage of an answer made of several generations: tokens summed, the wait for the first token
 * and the cache of the first, the whole time since the ask started; the last one's text and reason. */
function combined (before: AgentAnswer | undefined, last: AgentAnswer, startedAt: number): AgentAnswer {
  if (before === undefined) return last
  const cachedTokens = (before.cachedTokens ?? 0) + (last.cachedTokens ?? 0)
  return {
    ...last,
    promptTokens: before.promptTokens + last.promptTokens,
    completionTokens: before.completionTokens + last.completionTokens,
    ttftMs: before.ttftMs,
    durationMs: performance.now() - startedAt,
    ...((before.cachedTokens !== undefined || last.cachedTokens !== undefined) && { cachedTokens }),
    ...(before.cache !== undefined && { cache: before.cache })
  }
}

/** Tells the asker's sink a tool event; a sink that cannot take it ends the answer, as for tokens. */
function stream (ctx: AgentContext, current: Answering, event: AgentStreamEvent['event']): void {
  if (!tellSink(ctx, current.ask.sink, { type: 'agent-stream', requestId: current.ask.requestId, event })) current.controller.abort()
}

/** Tells the sink; false if it cannot take the event (gone or full). */
export function tellSink (ctx: AgentContext, sink: AgentSink, event: AgentStreamEvent): boolean {
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

export function unanswered (requestId: string, model: string, stopReason: AgentStopReason = 'cancelled'): AgentAnswer {
  return { requestId, text: '', model, stopReason, promptTokens: 0, completionTokens: 0, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
}
