import type { AgentAnswer, AgentSettings, AgentSettingsChange, AgentTurn } from '../../actors/index.ts'

/** The agent service's requests as protobufjs decodes them (agent.proto), each field checked
 * before use. */
export interface AgentRequest { user: string }
export interface AskRequest { text: string, user: string }
export interface AgentHistoryRequest { user: string, limit: number }
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
  return { requestId: t.requestId, role: t.role, content: t.content, ts: t.ts, stopReason: t.stopReason ?? '', model: t.model ?? '' }
}

/** Settings as agent.proto's Settings. */
export function wireSettings (s: AgentSettings): unknown {
  return { persona: s.persona, model: s.model, sampling: s.sampling }
}
