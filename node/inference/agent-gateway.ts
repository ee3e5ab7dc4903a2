import { assertNever } from '../../protocols/index.ts'
import { MessageCheck, checkAgentStreamEvent } from '../../actors/index.ts'
import type { AgentStreamEvent, Behavior, ReplyTo } from '../../actors/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** Where every node's agent gateway lives: agents stream their answers to it. */
export const AGENT_GATEWAY_PATH = systemPath('agent-gateway', 1)

/** One local Ask call waiting for its answer's events. */
export interface AgentCallSink {
  event (event: AgentStreamEvent['event']): void
}

export type AgentGatewayMsg =
  | AgentStreamEvent
  | { readonly type: 'attach', readonly requestId: string, readonly sink: AgentCallSink }
  /** Replies once every event sent before it has been handed to the sink. */
  | { readonly type: 'detach', readonly requestId: string, readonly replyTo?: ReplyTo<void> }

/**
 * The node's agent gateway: agents stream their answers' tokens to it (an address that is plain
 * data, so an agent on another node can reach it), and it hands them to the Ask call waiting for
 * that request. Events for a request nobody waits for any more are dropped. Its state holds live
 * calls, so it never migrates: the map is updated in place.
 */
export function agentGateway (): Behavior<AgentGatewayMsg, Map<string, AgentCallSink>> {
  return {
    init: () => new Map(),
    // from other nodes only agents' stream events: attach and detach hold this node's own calls
    checkPeer (msg) {
      const m = new MessageCheck(msg, 'agent gateway message')
      if (m.type !== 'agent-stream') m.unknownType(['agent-stream'])
      checkAgentStreamEvent(m)
    },
    receive (calls, msg, ctx) {
      switch (msg.type) {
        case 'agent-stream':
          calls.get(msg.requestId)?.event(msg.event)
          return calls
        case 'attach':
          calls.set(msg.requestId, msg.sink)
          return calls
        case 'detach':
          calls.delete(msg.requestId)
          if (msg.replyTo !== undefined) ctx.reply(msg.replyTo, undefined)
          return calls
        default:
          return assertNever(msg, 'agent gateway message')
      }
    }
  }
}
