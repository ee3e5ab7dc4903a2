import { describe } from '../../protocols/index.ts'
import type { ChatMessage, RoomMsg } from './chat-room-protocol.ts'
import { ROOM, agentDisplayName } from './chat-room-protocol.ts'
import { push, record } from './room-writes.ts'
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

/** A piece of an agent's answer: pushed on to the live subscribers (tokens only). */
export function agentStreamed (ctx: RoomContext, msg: Extract<RoomMsg, { type: 'agent-stream' }>): void {
  const answering = ctx.volatile.answering.get(msg.requestId)
  if (answering === undefined || msg.event.kind !== 'token') return
  push(ctx, {
    type: 'agent-partial',
    partial: { room: ctx.key, requestId: msg.requestId, user: agentDisplayName(answering.user), text: msg.event.text, inReplyTo: answering.inReplyTo }
  })
}

/** An agent's whole answer (or why there is none): posted as `<user>'s agent`. */
export function agentReplied (ctx: RoomContext, msg: Extract<RoomMsg, { type: 'agent-replied' }>): void {
  const answering = ctx.volatile.answering.get(msg.requestId)
  if (answering === undefined) return
  ctx.volatile.answering.delete(msg.requestId)
  const text = msg.error !== undefined ? `(no answer: ${msg.error})` : msg.text.length > 0 ? msg.text : '(no answer: stopped before the first word)'
  // not awaited: the room goes on while it is written (record fails the room if it fails)
  void record(ctx, { type: 'message-posted', user: agentDisplayName(answering.user), text, ts: Date.now() }, () => undefined)
}

export function reason (err: unknown): string {
  return err instanceof Error ? err.message : describe(err)
}
