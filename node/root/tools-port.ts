import { ToolDeniedError } from '../../protocols/index.ts'
import type { ToolCall, ToolProvider, ToolResult, ToolSpec } from '../../protocols/index.ts'
import { TOOLS_NOT_BOUND } from './constants.ts'

/**
 * The node's tools for the agents: agents are registered with the entities, before the mesh,
 * while the node's ToolProvider (ClusterTools, which reaches the members that run each source)
 * exists only once the mesh runs. Bound once by the tools part; until then no tool is offered and
 * a call is refused (an agent answers without tools meanwhile).
 */
export class ToolsPort implements ToolProvider {
  #provider: ToolProvider | undefined

  bind (provider: ToolProvider): void {
    if (this.#provider !== undefined) throw new Error('the tools port is bound already')
    this.#provider = provider
  }

  async tools (user: string): Promise<readonly ToolSpec[]> {
    return await (this.#provider?.tools(user) ?? Promise.resolve([]))
  }

  async call (user: string, call: ToolCall, opts?: { readonly signal?: AbortSignal, readonly deadlineMs?: number }): Promise<ToolResult> {
    if (this.#provider === undefined) throw new ToolDeniedError(user, call.name, TOOLS_NOT_BOUND)
    return await this.#provider.call(user, call, opts)
  }
}
