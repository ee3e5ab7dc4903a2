import { randomBytes } from 'node:crypto'
import { MAX_TOOL_ARGS_BYTES, TOOL_NAME_PATTERN } from '../../protocols/index.ts'
import type { ToolCall } from '../../protocols/index.ts'
import { MAX_TOOL_CALL_ID_CHARS, MAX_TOOL_CALLS_PER_TURN } from '../constants.ts'
import { RemoteInferenceError } from '../errors.ts'

const TOOL_NAME = new RegExp(TOOL_NAME_PATTERN)

/** One call as its deltas built it so far. */
interface Building { id: string, name: string, args: string, parsed?: Record<string, unknown> }

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The tool calls of a streamed chat completion, from the `delta.tool_calls` of its chunks: each
 * entry names its call by `index`; the first of a call brings its id and name, the others pieces
 * of its arguments (a JSON string), as OpenAI streams them (a server that sends a call whole in
 * one chunk, or its arguments as an object, is read too). What the server sends is bounded and
 * checked: a name that is no tool's, arguments that are not a JSON object or too large fail the
 * answer with RemoteInferenceError (502), never hand on a call that is not one.
 */
export class ToolCallDeltas {
  readonly #calls = new Map<number, Building>()

  get size (): number {
    return this.#calls.size
  }

  /** Takes a chunk's `delta.tool_calls` (`url` names the server in errors). */
  take (deltas: unknown, url: string): void {
    if (deltas === undefined || deltas === null) return
    if (!Array.isArray(deltas)) throw this.#malformed(url, 'delta.tool_calls is not a list')
    for (const delta of deltas as unknown[]) {
      if (!isObject(delta)) throw this.#malformed(url, 'a tool call delta is not an object')
      const index = typeof delta.index === 'number' ? delta.index : this.#calls.size
      if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_TOOL_CALLS_PER_TURN) throw this.#malformed(url, `a tool call's index is not one of 0 to ${MAX_TOOL_CALLS_PER_TURN - 1}`)
      const call = this.#calls.get(index) ?? { id: '', name: '', args: '' }
      this.#calls.set(index, call)
      const fn = isObject(delta.function) ? delta.function : {}
      if (typeof delta.id === 'string') call.id = delta.id
      if (typeof fn.name === 'string') call.name += fn.name
      if (typeof fn.arguments === 'string') call.args += fn.arguments
      else if (isObject(fn.arguments)) call.parsed = fn.arguments
      if (call.id.length > MAX_TOOL_CALL_ID_CHARS || call.name.length > 64 || call.args.length > MAX_TOOL_ARGS_BYTES) {
        throw this.#malformed(url, `a tool call is longer than its limits (id ${MAX_TOOL_CALL_ID_CHARS}, name 64, arguments ${MAX_TOOL_ARGS_BYTES} characters)`)
      }
    }
  }

  /** The calls, in index order, arguments parsed. */
  calls (url: string): ToolCall[] {
    return [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => {
      if (!TOOL_NAME.test(call.name)) throw this.#malformed(url, `a tool call names ${JSON.stringify(call.name.slice(0, 64))}, which is no tool's name`)
      return { id: call.id !== '' ? call.id : `call_${randomBytes(12).toString('hex')}`, name: call.name, arguments: call.parsed ?? this.#arguments(call, url) }
    })
  }

  #arguments (call: Building, url: string): Record<string, unknown> {
    // a call of a tool without parameters may come with no arguments at all
    if (call.args.trim() === '') return {}
    let parsed: unknown
    try {
      parsed = JSON.parse(call.args)
    } catch {
      parsed = undefined
    }
    if (!isObject(parsed)) throw this.#malformed(url, `the arguments of its call of ${call.name} are not a JSON object: ${call.args.slice(0, 100)}`)
    return parsed
  }

  #malformed (url: string, what: string): RemoteInferenceError {
    return new RemoteInferenceError(`POST ${url}: ${what}`, 502)
  }
}
