import { MAX_TOOL_ARGS_BYTES, TOOL_NAME_PATTERN } from '../protocols/index.ts'
import type { ToolChoice } from '../protocols/index.ts'
import { MAX_TOOL_CALLS_PER_TURN, MAX_TOOL_CALL_ID_CHARS, MAX_TOOL_DESCRIPTION_CHARS, MAX_TOOL_SCHEMA_BYTES, MAX_TOOLS_PER_REQUEST } from './constants.ts'
import type { ChatTurn, GenerateRequest, ToolDefinition } from './runtime.ts'

const TOOL_NAME = new RegExp(TOOL_NAME_PATTERN)

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** JSON's length of `value`, or undefined when it is not JSON (a cycle, a BigInt). */
function jsonLength (value: unknown): number | undefined {
  try {
    return JSON.stringify(value)?.length
  } catch {
    return undefined
  }
}

/**
 * What every runtime asks of a request's tools, whatever it does with them: the tools offered
 * (names an OpenAI function may have, unique; a description; an object schema of their arguments
 * within MAX_TOOL_SCHEMA_BYTES), the tool choice (a forced tool is one of them), and the calls and
 * results of the conversation (an assistant turn's calls, each answered at most once by the tool
 * turns right after it). A RangeError or TypeError names the field and what was expected. Whether a
 * schema can be enforced is each runtime's to judge (llama.cpp turns it into a grammar).
 */
export function checkToolRequest (request: GenerateRequest): void {
  const names = checkTools(request.tools)
  checkToolChoice(request.toolChoice, names)
  if ('messages' in request.input && Array.isArray(request.input.messages)) checkToolTurns(request.input.messages)
}

/** The tools' names, in order. */
function checkTools (tools: readonly ToolDefinition[] | undefined): readonly string[] {
  if (tools === undefined) return []
  if (!Array.isArray(tools) || tools.length > MAX_TOOLS_PER_REQUEST) throw new RangeError(`tools must be a list of at most ${MAX_TOOLS_PER_REQUEST} tools`)
  const names: string[] = []
  for (const [i, tool] of tools.entries()) {
    const at = `tools[${i}]`
    if (!isObject(tool)) throw new TypeError(`${at} must be { name, description, parameters }`)
    if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) throw new TypeError(`${at}.name must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -, got ${JSON.stringify(tool.name)?.slice(0, 80)}`)
    if (names.includes(tool.name)) throw new RangeError(`${at}.name: ${JSON.stringify(tool.name)} is offered twice`)
    if (typeof tool.description !== 'string' || tool.description.length > MAX_TOOL_DESCRIPTION_CHARS) throw new RangeError(`${at}.description must be a string of at most ${MAX_TOOL_DESCRIPTION_CHARS} characters`)
    if (!isObject(tool.parameters) || tool.parameters.type !== 'object') throw new TypeError(`${at}.parameters must be a JSON schema of type "object"`)
    const bytes = jsonLength(tool.parameters)
    if (bytes === undefined || bytes > MAX_TOOL_SCHEMA_BYTES) throw new RangeError(`${at}.parameters must be JSON of at most ${MAX_TOOL_SCHEMA_BYTES} bytes`)
    names.push(tool.name)
  }
  return names
}

function checkToolChoice (choice: ToolChoice | undefined, names: readonly string[]): void {
  if (choice === undefined || choice === 'none' || choice === 'auto') return
  if (choice === 'required') {
    if (names.length === 0) throw new RangeError('toolChoice "required" needs tools to call')
    return
  }
  if (!isObject(choice) || typeof choice.name !== 'string') throw new TypeError(`toolChoice must be "none", "auto", "required" or { name }, got ${JSON.stringify(choice)?.slice(0, 80)}`)
  if (!names.includes(choice.name)) throw new RangeError(`toolChoice names ${JSON.stringify(choice.name.slice(0, 80))}, which is not one of the tools`)
}

/** An assistant turn's calls are answered by the tool turns that follow it, each call at most once;
 * a tool turn anywhere else answers nothing. */
function checkToolTurns (turns: readonly ChatTurn[]): void {
  let open: Set<string> | undefined
  for (const [i, turn] of turns.entries()) {
    if (!isObject(turn)) continue   // the runtime's own check says what a turn is
    const at = `messages[${i}]`
    if (turn.role === 'tool') {
      const id = turn.toolCallId
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_TOOL_CALL_ID_CHARS) throw new TypeError(`${at}.toolCallId must be the id of the call it answers (1 to ${MAX_TOOL_CALL_ID_CHARS} characters)`)
      if (open?.delete(id) !== true) throw new RangeError(`${at}: a tool turn answers a call of the assistant turn before it, and ${JSON.stringify(id.slice(0, 80))} is none of its calls not answered yet`)
      continue
    }
    if (turn.toolCallId !== undefined) throw new TypeError(`${at}.toolCallId: only a tool turn answers a call`)
    open = undefined
    if (turn.toolCalls === undefined) continue
    if (turn.role !== 'assistant') throw new TypeError(`${at}.toolCalls: only an assistant turn calls tools`)
    open = new Set(checkCalls(turn.toolCalls, at))
  }
}

/** The calls' ids. */
function checkCalls (calls: unknown, at: string): string[] {
  if (!Array.isArray(calls) || calls.length > MAX_TOOL_CALLS_PER_TURN) throw new RangeError(`${at}.toolCalls must be a list of at most ${MAX_TOOL_CALLS_PER_TURN} calls`)
  const ids: string[] = []
  for (const [j, call] of (calls as unknown[]).entries()) {
    const where = `${at}.toolCalls[${j}]`
    if (!isObject(call)) throw new TypeError(`${where} must be { id, name, arguments }`)
    if (typeof call.id !== 'string' || call.id.length === 0 || call.id.length > MAX_TOOL_CALL_ID_CHARS) throw new TypeError(`${where}.id must be 1 to ${MAX_TOOL_CALL_ID_CHARS} characters`)
    if (ids.includes(call.id)) throw new RangeError(`${where}.id: ${JSON.stringify(call.id.slice(0, 80))} is used twice in the turn`)
    if (typeof call.name !== 'string' || !TOOL_NAME.test(call.name)) throw new TypeError(`${where}.name must be a tool's name`)
    const bytes = isObject(call.arguments) ? jsonLength(call.arguments) : undefined
    if (bytes === undefined || bytes > MAX_TOOL_ARGS_BYTES) throw new TypeError(`${where}.arguments must be a JSON object of at most ${MAX_TOOL_ARGS_BYTES} bytes`)
    ids.push(call.id)
  }
  return ids
}
