import type * as grpc from '@grpc/grpc-js'
import { FORCED_TOOL_RULE, isForcedTool } from '../../actors/index.ts'
import { InvalidRequestError, ToolDeniedError } from '../../protocols/index.ts'
import type { ToolProvider } from '../../protocols/index.ts'
import { TokenCoalescer } from '../inference/index.ts'
import type { AgentAsker } from '../inference/index.ts'
import { tellAgentNode } from './agent-node.ts'
import type { AgentNode } from './agent-node.ts'
import { agentCaller } from './call-auth.ts'
import type { CallAuthDeps } from './call-auth.ts'
import type { AskRequest } from './agent-wire.ts'
import { wireDone, wireEvent } from './agent-wire.ts'
import { ToolsNotSetUpError } from './errors.ts'
import type { StatusError } from './grpc-status.ts'

/** What an Ask call uses. */
export interface AgentAskDeps extends CallAuthDeps {
  readonly asker: AgentAsker
  /** Largest question, in UTF-8 bytes (config `max-message-bytes`). */
  readonly maxMessageBytes: number
  /** The node's tools as agents are offered them (absent: none; an ask that forces one is refused). */
  readonly toolProvider?: ToolProvider
  /** Where the caller's agent is, when another node a client can dial owns it: said in each call's
   * response headers (agent-node.ts). Absent: never said. */
  readonly agentNode?: AgentNode
}

/**
 * One Ask call: the caller asks its own agent; the answer streams as the agent makes it (the
 * request id first, tokens coalesced while the client reads, queue positions, the tools it calls
 * and what they answer), then `done`. A client that cancels cancels the generation (the agent
 * keeps what it made) and is sent nothing more; any other failure ends the call with its status.
 * A request that forces a tool is refused before anything is sent when the tool is not one the
 * caller's agent may use now (the agent checks again, before it journals the question).
 */
export async function askCall (deps: AgentAskDeps, failure: (call: string, err: unknown) => StatusError,
  call: grpc.ServerWritableStream<AskRequest, unknown>): Promise<void> {
  let user: string
  try {
    user = await agentCaller(call, deps, call.request.user)
    const text = call.request.text
    if (typeof text !== 'string' || text.trim().length === 0) throw new InvalidRequestError('text: must not be empty')
    const bytes = Buffer.byteLength(text, 'utf8')
    if (bytes > deps.maxMessageBytes) throw new InvalidRequestError(`text: ${bytes} bytes is over the limit of ${deps.maxMessageBytes} bytes`)
    if (call.request.tool !== undefined) await checkForcedTool(deps.toolProvider, user, call.request.tool)
  } catch (err) {
    call.emit('error', failure('Ask', err))
    return
  }
  const cancelled = new AbortController()
  call.on('cancelled', () => { cancelled.abort() })
  tellAgentNode(call, deps.agentNode, user)
  const tokens = new TokenCoalescer((text, written) => { call.write({ token: { text } }, written) })
  try {
    const answer = await deps.asker.ask(user, call.request.text, {
      signal: cancelled.signal,
      ...(call.request.tool !== undefined && { tool: call.request.tool }),
      onStarted: (requestId) => { call.write({ started: { requestId } }) },
      onEvent: (event) => {
        if (event.kind === 'token') {
          tokens.push(event.text)
        } else {
          // queue positions and tool calls and results come between the tokens around them
          tokens.flush()
          call.write(wireEvent(event))
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

/** A tool an Ask forces: a qualified name (INVALID_ARGUMENT otherwise) that the caller's agent may
 * use now (PERMISSION_DENIED otherwise; UNIMPLEMENTED on a node with no tools for agents). */
async function checkForcedTool (provider: ToolProvider | undefined, user: string, tool: unknown): Promise<void> {
  if (!isForcedTool(tool)) throw new InvalidRequestError(`tool: expected ${FORCED_TOOL_RULE}`)
  if (provider === undefined) throw new ToolsNotSetUpError('this node has no tools set up for agents')
  if (!(await provider.tools(user)).some((t) => t.name === tool)) {
    throw new ToolDeniedError(user, tool, 'it is not among the tools your agent may use now (granted by an admin, turned on, and offered by a plugin or server that is up): plexi agent tools lists them')
  }
}
