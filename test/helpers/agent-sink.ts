import type { AgentStreamEvent, Behavior, ReplyTo } from '../../actors/index.ts'

/** What an agent sink takes: the stream events, and a read of those it has. */
export type SinkMsg = AgentStreamEvent | { type: 'events', replyTo: ReplyTo<AgentStreamEvent[]> }

/** Collects the stream events an agent tells its sink (the role of a node's agent gateway). */
export function agentSink (): Behavior<SinkMsg, AgentStreamEvent[]> {
  return {
    init: () => [],
    receive (events, msg, ctx) {
      if (msg.type === 'events') {
        ctx.reply(msg.replyTo, events)
        return events
      }
      return [...events, msg]
    }
  }
}
