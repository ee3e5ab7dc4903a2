import type { AgentAnswer, AgentSettings, AgentSettingsChange, AgentStreamEvent, AgentTurn, ToolPolicyView } from '../../actors/index.ts'
import { assertNever } from '../../protocols/index.ts'
import type { ToolSpec } from '../../protocols/index.ts'

/** The agent service's requests as protobufjs decodes them (agent.proto), each field checked
 * before use. */
export interface AgentRequest { user: string }
export interface AskRequest { text: string, user: string, tool?: string }
export interface AgentHistoryRequest { user: string, limit: number }
export interface ToolsRequest { user: string, enable: string[], disable: string[] }
export interface ConfigureRequest {
  user: string
  persona?: string
  model?: string
  temperature?: number
  topP?: number
  topK?: number
  maxTokens?: number
}

/** The settings change a Configure request asks for: only the fields it set (proto3 optional). */
export function settingsChange (req: ConfigureRequest): AgentSettingsChange {
  const sampling = {
    ...(req.temperature !== undefined && { temperature: req.temperature }),
    ...(req.topP !== undefined && { topP: req.topP }),
    ...(req.topK !== undefined && { topK: req.topK }),
    ...(req.maxTokens !== undefined && { maxTokens: req.maxTokens })
  }
  return {
    ...(req.persona !== undefined && { persona: req.persona }),
    ...(req.model !== undefined && { model: req.model }),
    ...(Object.keys(sampling).length > 0 && { sampling })
  }
}

/** An answer as agent.proto's AskEvent.done. */
export function wireDone (a: AgentAnswer): unknown {
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

/** A turn as agent.proto's Turn (proto3 has no absent string: '' for none). */
export function wireTurn (t: AgentTurn): unknown {
  return {
    requestId: t.requestId,
    role: t.role,
    content: t.content,
    ts: t.ts,
    stopReason: t.stopReason ?? '',
    model: t.model ?? '',
    toolCalls: (t.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: JSON.stringify(c.arguments) })),
    toolCallId: t.toolCallId ?? '',
    toolName: t.toolName ?? '',
    isError: t.isError ?? false
  }
}

/** A stream event other than a token as agent.proto's AskEvent (tokens go through the coalescer). */
export function wireEvent (event: Exclude<AgentStreamEvent['event'], { kind: 'token' }>): unknown {
  switch (event.kind) {
    case 'queued': return { queued: { position: event.position } }
    case 'tool-call': return { toolCall: { id: event.id, name: event.name, arguments: event.arguments } }
    case 'tool-result': return { toolResult: { id: event.id, name: event.name, isError: event.isError, text: event.text, clipped: event.clipped } }
    default: return assertNever(event, 'agent stream event')
  }
}

/** A user's tool policy and the tools offered, as agent.proto's ToolsResponse. */
export function wireTools (policy: ToolPolicyView, tools: readonly ToolSpec[]): unknown {
  return {
    granted: policy.granted,
    enabled: policy.enabled,
    disabled: policy.disabled,
    tools: tools.map((t) => ({ name: t.name, description: t.description }))
  }
}

/** Settings as agent.proto's Settings. */
export function wireSettings (s: AgentSettings, models: readonly string[] = []): unknown {
  return { persona: s.persona, model: s.model, sampling: s.sampling, models }
}
