import { MAX_TOOL_ARGS_BYTES, TOOL_NAME_MAX, ToolDeniedError, clip, clipBytes, describe } from '../../protocols/index.ts'
import type { ToolCall, ToolProvider, ToolSpec } from '../../protocols/index.ts'
import { toolDefinitions } from './agent-prompt.ts'
import type { AgentToolDefinition } from './agent-prompt.ts'
import { AGENT_TOOL_RESULT_BYTES, MAX_TOOL_CALLS_PER_ROUND, MAX_TOOL_CALL_ID_LENGTH, STREAM_TOOL_RESULT_BYTES } from './constants.ts'
import { AgentToolsUnavailableError } from './errors.ts'
import { jsonLength } from './user-agent-protocol.ts'
import type { AgentStreamEvent, AgentToolCall, AgentToolResult } from './user-agent-protocol.ts'

/** How long a call may take, and how long past that the agent waits for the provider's own answer. */
export interface ToolCallTiming {
  readonly deadlineMs: number
  readonly graceMs: number
}

const CALL_ID = /^[\x21-\x7e]+$/
const FUNCTION_NAME = /^[a-zA-Z0-9_-]+$/

/**
 * The tools `user` may use now, from `provider` (none without one). A provider that fails or does
 * not answer within `timeoutMs` offers none: the agent answers without tools, and says why in
 * `onFailure`. Never throws.
 */
export async function offerTools (provider: ToolProvider | undefined, user: string, timeoutMs: number, onFailure: (why: string) => void): Promise<readonly ToolSpec[]> {
  if (provider === undefined) return []
  let timer: NodeJS.Timeout | undefined
  try {
    const listed = await Promise.race([
      provider.tools(user),
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no list of tools within ${timeoutMs} ms`)) }, timeoutMs) })
    ])
    return Array.isArray(listed) ? listed : []
  } catch (err) {
    onFailure(describe(err))
    return []
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The tools offered to an ask that forces `tool`, listed before anything of the ask is journaled:
 * `user`'s tools as the model is shown them (toolDefinitions), `tool` among them. Throws
 * ToolDeniedError when it is not (not granted, turned off, no source up that offers it, or no
 * provider here), and AgentToolsUnavailableError when the list could not be had within `timeoutMs`.
 */
export async function forcedToolOffer (provider: ToolProvider | undefined, user: string, tool: string, timeoutMs: number): Promise<AgentToolDefinition[]> {
  if (provider === undefined) throw new ToolDeniedError(user, tool, 'this node has no tools for agents')
  let failed: string | undefined
  const offered = toolDefinitions(await offerTools(provider, user, timeoutMs, (why) => { failed = why }))
  if (failed !== undefined) throw new AgentToolsUnavailableError(`the tools ${user} may use could not be listed (${clip(failed, 200)}); ask again`)
  if (!offered.some((t) => t.name === tool)) {
    throw new ToolDeniedError(user, tool, 'it is not among the tools their agent may use now (granted by an admin, turned on, and offered by a plugin or server that is up: plexi agent tools lists them)')
  }
  return offered
}

/**
 * A generation's calls as the agent keeps them: at most MAX_TOOL_CALLS_PER_ROUND (the rest are not
 * made), each with an id that is unique in the round and short, a function name, and its arguments
 * when they are a JSON object within MAX_TOOL_ARGS_BYTES. A call of a tool that was not offered, or
 * with arguments that are not such an object, is `refused` (answered with an error, not made).
 */
export function normalizeCalls (calls: readonly ToolCall[] | undefined, offered: ReadonlySet<string>): AgentToolCall[] {
  const ids = new Set<string>()
  return (calls ?? []).slice(0, MAX_TOOL_CALLS_PER_ROUND).map((call, i) => {
    let id = typeof call.id === 'string' && call.id.length <= MAX_TOOL_CALL_ID_LENGTH && CALL_ID.test(call.id) ? call.id : `call-${i + 1}`
    if (ids.has(id)) id = `call-${i + 1}`
    ids.add(id)
    const named = typeof call.name === 'string' && call.name.length <= TOOL_NAME_MAX && FUNCTION_NAME.test(call.name)
    const name = named ? call.name : 'unnamed'
    const args = call.arguments as unknown
    const length = jsonLength(args)
    const isObject = typeof args === 'object' && args !== null && !Array.isArray(args)
    const refused = !named || !offered.has(name)
      ? `there is no tool ${named ? name : JSON.stringify(clip(String(call.name), 40))} for you: call one of the tools you were given`
      : !isObject || length > MAX_TOOL_ARGS_BYTES
        ? `the arguments must be a JSON object of at most ${MAX_TOOL_ARGS_BYTES} characters`
        : undefined
    return { id, name, arguments: refused === undefined ? args as Record<string, unknown> : {}, ...(refused !== undefined && { refused }) }
  })
}

/**
 * Makes a round's calls at once through `provider` on behalf of `user` and resolves with their
 * results in call order; never rejects. A call the provider answers with an error, throws for,
 * does not answer within the deadline (plus the grace), or that `signal` cancels, has an error
 * result the model reads; a refused call is answered with its reason and not made. Each call's
 * own signal aborts when `signal` does or its time is up.
 */
export async function callTools (provider: ToolProvider | undefined, user: string, calls: readonly AgentToolCall[], signal: AbortSignal, timing: ToolCallTiming): Promise<AgentToolResult[]> {
  return await Promise.all(calls.map(async (call) => {
    const answer = (isError: boolean, text: string): AgentToolResult => ({ callId: call.id, name: call.name, isError, text: keptText(text) })
    if (call.refused !== undefined) return answer(true, call.refused)
    if (provider === undefined) return answer(true, 'no tools are available on this node')
    if (signal.aborted) return answer(true, 'not called: the answer was stopped')
    const own = new AbortController()
    const stop = (): void => { own.abort(signal.reason) }
    signal.addEventListener('abort', stop, { once: true })
    let timer: NodeJS.Timeout | undefined
    const ended = new Promise<AgentToolResult>((resolve) => {
      timer = setTimeout(() => {
        // answered first: the abort below would answer it as aborted
        resolve(answer(true, `the tool did not answer within ${timing.deadlineMs} ms`))
        own.abort()
      }, timing.deadlineMs + timing.graceMs)
      own.signal.addEventListener('abort', () => { resolve(answer(true, signal.aborted ? 'cancelled: the answer was stopped' : 'the call was aborted')) }, { once: true })
    })
    try {
      // (a provider that throws at once, not in its promise, fails the call all the same)
      const made = (async () => await provider.call(user, { id: call.id, name: call.name, arguments: call.arguments }, { signal: own.signal, deadlineMs: timing.deadlineMs }))()
        .then((result) => answer(result.isError === true, typeof result.text === 'string' ? result.text : ''), (err: unknown) => answer(true, describe(err)))
      return await Promise.race([made, ended])
    } finally {
      clearTimeout(timer)
      signal.removeEventListener('abort', stop)
    }
  }))
}

/** A call as the asker's stream shows it. */
export function streamedCall (call: ToolCall): AgentStreamEvent['event'] {
  return { kind: 'tool-call', id: call.id, name: call.name, arguments: JSON.stringify(call.arguments) }
}

/** A result as the asker's stream shows it: its text clipped to STREAM_TOOL_RESULT_BYTES. */
export function streamedResult (result: AgentToolResult): AgentStreamEvent['event'] {
  const text = clipBytes(result.text, STREAM_TOOL_RESULT_BYTES)
  return { kind: 'tool-result', id: result.callId, name: result.name, isError: result.isError, text, clipped: text !== result.text }
}

/** A result's text as the conversation keeps it: at most AGENT_TOOL_RESULT_BYTES, saying so when cut. */
function keptText (text: string): string {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes <= AGENT_TOOL_RESULT_BYTES) return text
  const note = `\n[cut: ${bytes} bytes in all]`
  return `${clipBytes(text, AGENT_TOOL_RESULT_BYTES - note.length)}${note}`
}
