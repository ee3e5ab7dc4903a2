import type { ToolCall, ToolProvider, ToolResult, ToolSpec } from '../../protocols/index.ts'

/** One tool: its spec's own fields, and the function that answers it. */
interface FunctionTool {
  readonly source: string
  readonly tool: string
  readonly description: string
  readonly inputSchema: Readonly<Record<string, unknown>>
  readonly run: (args: Readonly<Record<string, unknown>>, signal: AbortSignal | undefined) => Promise<string> | string
}

/** A call as the provider saw it. */
export interface SeenCall {
  readonly user: string
  readonly call: ToolCall
  readonly signal: AbortSignal | undefined
  readonly deadlineMs: number | undefined
}

/**
 * A ToolProvider over functions of this process, as a node's provider is over its plugins: it
 * lists and calls only the tools `allowed` lets the user use (the policy input the node's provider
 * takes), answers a tool's failure as an error result, and throws for a call that is not the
 * user's to make. Its tools: `clock__now` (the time now), `calc__add` (two numbers), `text__repeat`
 * (a long text), `slow__wait` (answers when released, or when its signal aborts), and
 * `stuck__hang` (never answers, whatever its signal says).
 */
export class FunctionTools implements ToolProvider {
  readonly seen: SeenCall[] = []
  readonly #allowed: (user: string, tool: ToolSpec) => Promise<boolean>
  readonly #tools: readonly FunctionTool[]
  readonly #waiting = new Set<() => void>()

  constructor (allowed: (user: string, tool: ToolSpec) => Promise<boolean> = async () => true) {
    this.#allowed = allowed
    this.#tools = [
      { source: 'clock', tool: 'now', description: 'The time now, as an ISO 8601 date', inputSchema: { type: 'object', properties: {} }, run: () => new Date().toISOString() },
      {
        source: 'calc',
        tool: 'add',
        description: 'Adds two numbers',
        inputSchema: { type: 'object', required: ['a', 'b'], properties: { a: { type: 'number' }, b: { type: 'number' } } },
        run: ({ a, b }) => {
          if (typeof a !== 'number' || typeof b !== 'number') throw new Error('a and b must be numbers')
          return String(a + b)
        }
      },
      {
        source: 'text',
        tool: 'repeat',
        description: 'A text of `times` copies of `word`',
        inputSchema: { type: 'object', properties: { word: { type: 'string' }, times: { type: 'integer' } } },
        run: ({ word, times }) => String(word).repeat(Number(times))
      },
      { source: 'slow', tool: 'wait', description: 'Answers once released', inputSchema: { type: 'object', properties: {} }, run: async (_args, signal) => await this.#wait(signal) },
      { source: 'stuck', tool: 'hang', description: 'Never answers', inputSchema: { type: 'object', properties: {} }, run: async () => await new Promise<string>(() => undefined) }
    ]
  }

  /** Calls of slow__wait that wait now. */
  get waiting (): number {
    return this.#waiting.size
  }

  /** Answers every slow__wait call that waits. */
  release (): void {
    for (const done of [...this.#waiting]) done()
  }

  async tools (user: string): Promise<readonly ToolSpec[]> {
    const specs = this.#tools.map(specOf)
    const allowed = await Promise.all(specs.map(async (spec) => await this.#allowed(user, spec)))
    return specs.filter((_spec, i) => allowed[i])
  }

  async call (user: string, call: ToolCall, opts: { readonly signal?: AbortSignal, readonly deadlineMs?: number } = {}): Promise<ToolResult> {
    this.seen.push({ user, call, signal: opts.signal, deadlineMs: opts.deadlineMs })
    const tool = this.#tools.find((t) => specOf(t).name === call.name)
    if (tool === undefined || !await this.#allowed(user, specOf(tool))) {
      throw Object.assign(new Error(`${call.name} is not a tool ${user} may use`), { name: 'ToolDeniedError', kind: 'denied' })
    }
    try {
      return { callId: call.id, isError: false, text: await tool.run(call.arguments, opts.signal) }
    } catch (err) {
      return { callId: call.id, isError: true, text: (err as Error).message }
    }
  }

  async #wait (signal: AbortSignal | undefined): Promise<string> {
    return await new Promise<string>((resolve, reject) => {
      const done = (): void => {
        this.#waiting.delete(done)
        resolve('released')
      }
      this.#waiting.add(done)
      signal?.addEventListener('abort', () => {
        this.#waiting.delete(done)
        reject(new Error('aborted'))
      }, { once: true })
    })
  }
}

function specOf (t: FunctionTool): ToolSpec {
  return { name: `${t.source}__${t.tool}`, source: { kind: 'plugin', name: t.source }, tool: t.tool, description: t.description, inputSchema: t.inputSchema }
}
