import { describe } from '../../protocols/index.ts'
import type { ChatMessage } from './chat-room-protocol.ts'
import { ROOM } from './chat-room-protocol.ts'
import type { RoomContext } from './room-volatile.ts'
import { AGENT } from './user-agent-protocol.ts'
import type { AgentAnswer } from './user-agent-protocol.ts'

/** An agent answering in a room may wait in queues and generate for a long time. */
const AGENT_ANSWER_TIMEOUT_MS = 30 * 60_000

/**
 * The poster's agent answers a message that mentioned @agent: its tokens come back as
 * `agent-stream` messages (pushed on to live subscribers), its whole answer as `agent-replied`,
 * which the room posts as `<user>'s agent`. Neither waits in this handler: the room goes on.
 */
export function askAgent (ctx: RoomContext, message: ChatMessage): void {
  const requestId = `room/${ctx.key}/${message.seq}`
  const user = message.user
  ctx.volatile.answering.set(requestId, { user, inReplyTo: message.seq })
  const self = ctx.self
  const replied = (text: string, error?: string): void => {
    self.tell({ type: 'agent-replied', requestId, text, ...(error !== undefined && { error }) })
  }
  try {
    ctx.entity(AGENT, user).ask<AgentAnswer>((replyTo) => ({
      type: 'ask', user, text: message.text, requestId, sink: { kind: 'entity', type: ROOM.type, key: ctx.key }, replyTo
    }), { timeout: AGENT_ANSWER_TIMEOUT_MS }).then((answer) => { replied(answer.text) }, (err: unknown) => { replied('', reason(err)) })
  } catch (err) {
    replied('', reason(err))
  }
}

export function reason (err: unknown): string {
  return err instanceof Error ? err.message : describe(err)
}
