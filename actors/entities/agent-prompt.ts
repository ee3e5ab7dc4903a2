import { TOOL_NAME_MAX } from '../../protocols/index.ts'
import type { ToolCall, ToolChoice, ToolSpec } from '../../protocols/index.ts'
import { MAX_AGENT_TOOLS } from './constants.ts'
import type { AgentSampling, AgentSettings, AgentTurn } from './user-agent-protocol.ts'

/** One message of a prompt as the inference component takes it (the runtimes' ChatTurn). */
export interface AgentMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool'
  readonly content: string
  /** An assistant message that called tools. */
  readonly toolCalls?: readonly ToolCall[]
  /** A tool message: the call it answers. */
  readonly toolCallId?: string
}

/** A tool as the model is shown it (the runtimes' ToolDefinition). */
export interface AgentToolDefinition {
  readonly name: string
  readonly description: string
  readonly parameters: Readonly<Record<string, unknown>>
}

/** A conversation as the inference component takes it. */
export interface AgentPrompt {
  readonly messages: readonly AgentMessage[]
  readonly sampling: AgentSampling
  /** Tools the model may call; absent when the agent has none to offer (it only answers). */
  readonly tools?: readonly AgentToolDefinition[]
  /** Whether it may call them now (absent with no tools). */
  readonly toolChoice?: ToolChoice
}

/** What a call whose result never came back reads as (the node stopped while it ran): every call
 * in a prompt has a result, which chat templates and OpenAI-style servers require. */
export const UNANSWERED_CALL = 'no result: the call did not end (the agent stopped while it ran)'

const FUNCTION_NAME = /^[a-zA-Z0-9_-]+$/

/**
 * The tools a user may use, as the model is shown them: valid function names only, each once,
 * sorted by name (the same tools make the same prompt, so that the KV cache of the conversation's
 * prefix stays usable), at most MAX_AGENT_TOOLS.
 */
export function toolDefinitions (specs: readonly ToolSpec[]): AgentToolDefinition[] {
  const byName = new Map<string, AgentToolDefinition>()
  for (const spec of specs) {
    if (spec.name.length > TOOL_NAME_MAX || !FUNCTION_NAME.test(spec.name) || byName.has(spec.name)) continue
    byName.set(spec.name, { name: spec.name, description: spec.description, parameters: spec.inputSchema })
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, MAX_AGENT_TOOLS)
}

/**
 * The prompt for the next generation: the persona, then the conversation from its first question
 * on (a history cut at MAX_AGENT_TURNS may begin inside an ask), each assistant turn that called
 * tools followed by one tool message per call (a call without a kept result gets UNANSWERED_CALL,
 * a result without its call is left out), and the tools offered with the choice given.
 */
export function agentPrompt (settings: AgentSettings, history: readonly AgentTurn[], tools: readonly AgentToolDefinition[], toolChoice: ToolChoice): AgentPrompt {
  const first = history.findIndex((t) => t.role === 'user')
  const turns = first < 0 ? [] : history.slice(first)
  const messages: AgentMessage[] = [{ role: 'system', content: settings.persona }]
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i] as AgentTurn
    if (turn.role === 'tool') continue   // placed after its call, below
    if (turn.role === 'user') {
      messages.push({ role: 'user', content: turn.content })
      continue
    }
    const calls = turn.toolCalls ?? []
    messages.push(calls.length > 0 ? { role: 'assistant', content: turn.content, toolCalls: calls } : { role: 'assistant', content: turn.content })
    // the results of this turn's calls: the tool turns that follow it, up to the next turn of another role
    const results = new Map<string, string>()
    for (let j = i + 1; j < turns.length && turns[j]?.role === 'tool'; j++) {
      const result = turns[j] as AgentTurn
      if (result.toolCallId !== undefined && !results.has(result.toolCallId)) results.set(result.toolCallId, result.content)
    }
    for (const call of calls) messages.push({ role: 'tool', content: results.get(call.id) ?? UNANSWERED_CALL, toolCallId: call.id })
  }
  return {
    messages,
    sampling: settings.sampling,
    ...(tools.length > 0 && { tools, toolChoice })
  }
}
