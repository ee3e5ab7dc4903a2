import type * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { AGENT, PermissionDeniedError, checkSettingsChange } from '../../actors/index.ts'
import type { ActorSystem, AgentAnswer, AgentSettings, AgentSettingsChange, AgentTurn, Logger } from '../../actors/index.ts'
import { InvalidRequestError, MAX_AGENT_TURNS, clip } from '../../protocols/index.ts'
import { TokenCoalescer } from '../inference/index.ts'
import type { AgentAsker } from '../inference/index.ts'
import { authenticateCall } from './call-auth.ts'
import { failureOf, unaryCall } from './grpc-status.ts'

/** History turns returned when a request asks for 0. */
const DEFAULT_HISTORY_LIMIT = 50

export interface AgentServiceDeps {
  readonly system: ActorSystem
  readonly users: { authenticate (token: string): Promise<string | undefined> }
  readonly asker: AgentAsker
  /** Largest question, in UTF-8 bytes (config `max-message-bytes`). */
  readonly maxMessageBytes: number
  readonly retryTypes: protobuf.Root
  readonly log: Logger
  readonly accepting: () => boolean
  /** Counts every authenticated call against its user's request rate (config `user-rate`). */
  readonly limitUser?: (user: string) => void
}

interface AgentRequest { user: string }
interface AskRequest { text: string, user: string }
interface HistoryRequest { user: string, limit: number }
interface ConfigureRequest {
  user: string
  persona?: string
  model?: string
  temperature?: number
  topP?: number
  topK?: number
  maxTokens?: number
}

/**
 * The `plexi.agent.v1.Agent` handlers. Every call authenticates, then may only reach the caller's
 * own agent (PERMISSION_DENIED otherwise). Ask streams the answer as the agent makes it.
 */
export function agentServiceHandlers (deps: AgentServiceDeps): grpc.UntypedServiceImplementation {
  const { system } = deps
  const agent = (user: string) => system.entity(AGENT, user)
  const failure = failureOf('agent', deps)

  /** The caller, having checked that `requested` (empty: the caller) is the caller. */
  async function caller (call: { metadata: grpc.Metadata }, requested: unknown): Promise<string> {
    const user = await authenticateCall(call, deps)
    if (requested !== undefined && requested !== '' && requested !== user) {
      throw new PermissionDeniedError(`${user} may not talk to ${clip(String(requested), 40)}'s agent; only its own user may`)
    }
    return user
  }

  function unary<Req, Res> (name: string, body: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return unaryCall<Req, Res>(name, async (call) => await body(call.request, call), failure)
  }

  async function ask (call: grpc.ServerWritableStream<AskRequest, unknown>): Promise<void> {
    let user: string
    try {
      user = await caller(call, call.request.user)
      const text = call.request.text
      if (typeof text !== 'string' || text.trim().length === 0) throw new InvalidRequestError('text: must not be empty')
      const bytes = Buffer.byteLength(text, 'utf8')
      if (bytes > deps.maxMessageBytes) throw new InvalidRequestError(`text: ${bytes} bytes is over the limit of ${deps.maxMessageBytes} bytes`)
    } catch (err) {
      call.emit('error', failure('Ask', err))
      return
    }
    const cancelled = new AbortController()
    call.on('cancelled', () => { cancelled.abort() })
    const tokens = new TokenCoalescer((text, written) => { call.write({ token: { text } }, written) })
    try {
      const answer = await deps.asker.ask(user, call.request.text, {
        signal: cancelled.signal,
        onStarted: (requestId) => { call.write({ started: { requestId } }) },
        onEvent: (event) => {
          if (event.kind === 'token') {
            tokens.push(event.text)
          } else {
            tokens.flush()
            call.write({ queued: { position: event.position } })
          }
        }
      })
      tokens.flush()
      call.write({ done: wireDone(answer) })
      call.end()
    } catch (err) {
      if (!cancelled.signal.aborted) call.emit('error', failure('Ask', err))
    }
  }

  return {
    Ask: (call: grpc.ServerWritableStream<AskRequest, unknown>) => { void ask(call) },

    History: unary<HistoryRequest, { turns: unknown[] }>('History', async (req, call) => {
      const user = await caller(call, req.user)
      const limit = req.limit === 0 ? DEFAULT_HISTORY_LIMIT : req.limit
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AGENT_TURNS) throw new InvalidRequestError(`limit: must be 1 to ${MAX_AGENT_TURNS} (0 means ${DEFAULT_HISTORY_LIMIT})`)
      const turns = await agent(user).ask<AgentTurn[]>((replyTo) => ({ type: 'history', user, limit, replyTo }))
      return { turns: turns.map(wireTurn) }
    }),

    GetSettings: unary<AgentRequest, unknown>('GetSettings', async (req, call) => {
      const user = await caller(call, req.user)
      return wireSettings(await agent(user).ask<AgentSettings>((replyTo) => ({ type: 'settings', user, replyTo })))
    }),

    Configure: unary<ConfigureRequest, unknown>('Configure', async (req, call) => {
      const user = await caller(call, req.user)
      const sampling = {
        ...(req.temperature !== undefined && { temperature: req.temperature }),
        ...(req.topP !== undefined && { topP: req.topP }),
        ...(req.topK !== undefined && { topK: req.topK }),
        ...(req.maxTokens !== undefined && { maxTokens: req.maxTokens })
      }
      const change: AgentSettingsChange = {
        ...(req.persona !== undefined && { persona: req.persona }),
        ...(req.model !== undefined && { model: req.model }),
        ...(Object.keys(sampling).length > 0 && { sampling })
      }
      // checked here, before the agent (which checks again: its messages may come from anywhere)
      checkSettingsChange(change)
      return wireSettings(await agent(user).ask<AgentSettings>((replyTo) => ({ type: 'configure', user, change, replyTo })))
    }),

    Reset: unary<AgentRequest, { turnsRemoved: number }>('Reset', async (req, call) => {
      const user = await caller(call, req.user)
      const turnsRemoved = await agent(user).ask<number>((replyTo) => ({ type: 'reset', user, replyTo }))
      return { turnsRemoved }
    })
  }
}

function wireDone (a: AgentAnswer): unknown {
  return {
    requestId: a.requestId,
    model: a.model,
    stopReason: a.stopReason,
    promptTokens: a.promptTokens,
    completionTokens: a.completionTokens,
    droppedTurns: a.droppedTurns,
    ttftMs: a.ttftMs,
    durationMs: a.durationMs,
    cachedTokens: a.cachedTokens ?? 0,
    cache: a.cache ?? ''
  }
}

function wireTurn (t: AgentTurn): unknown {
  return { requestId: t.requestId, role: t.role, content: t.content, ts: t.ts, stopReason: t.stopReason ?? '', model: t.model ?? '' }
}

function wireSettings (s: AgentSettings): unknown {
  return { persona: s.persona, model: s.model, sampling: s.sampling }
}
