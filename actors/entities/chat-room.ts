import { MAX_HISTORY_LIMIT, assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { ROOM, checkRoomMsg, postKey } from './chat-room-protocol.ts'
import type { RoomEvent, RoomFeed, RoomMsg, RoomState } from './chat-room-protocol.ts'
import { agentReplied, agentStreamed } from './room-agents.ts'
import { receivePost, settleJudged } from './post-gate.ts'
import { interruptCommands, postAnswers } from './room-commands.ts'
import { hooksIdle } from './room-hooks.ts'
import { NO_ROOM_PLUGINS } from './room-plugins.ts'
import type { RoomPlugins } from './room-plugins.ts'
import { remember } from './room-receipts.ts'
import { notePoster } from './room-posters.ts'
import { eraseUser, redact } from './room-redactions.ts'
import { applyRetention } from './room-retention.ts'
import { exportHead, exportPage, importPosts, noteImported } from './room-transfer.ts'
import { createRoomVolatile, exportRoomVolatile, gatewayKey, importRoomVolatile } from './room-volatile.ts'
import type { RoomContext, RoomVolatile } from './room-volatile.ts'
import { ensureRegistered, info, record, toMessage } from './room-writes.ts'
import { addSeq } from './seq-ranges.ts'

export interface ChatRoomOptions {
  /** The node's plugins: `/commands`, before-post and after-post hooks (docs/plugins.md). */
  readonly plugins: RoomPlugins
}

/**
 * A chat room: `room/<name>`. Every post, join and leave is an event of the room's journal, so
 * the journal seq is the room's message seq. A poster is acknowledged, and subscribers are sent
 * the message, only once it is durable; writes are pipelined, so a busy room shares fsyncs.
 * With plugins: a post first passes the before-post hooks (post-gate.ts), a `/command` is answered
 * by its plugin's bot in command order (room-commands.ts), and every committed event is pushed to
 * the after-post hooks (room-hooks.ts).
 */
export function chatRoomType (options: ChatRoomOptions): EntityType<RoomMsg, RoomState, RoomEvent, RoomVolatile> {
  const { plugins } = options
  return {
    type: ROOM.type,
    role: 'chat',
    initialState: () => ({ createdAt: 0, members: [], recentPosts: {}, posters: [] }),
    applyEvent: applyRoomEvent,
    check: checkRoomMsg,
    createVolatile: () => createRoomVolatile(plugins),
    // a live migration carries the subscribed gateways (they keep getting every message, with no
    // renewal needed) and the agents answering (their answers reach the room wherever it is)
    exportVolatile: exportRoomVolatile,
    importVolatile: (_key, data, refs) => importRoomVolatile(plugins, data, refs),
    // a newer owner took the room (failover racing this one): the gateways subscribed here subscribe
    // again, reaching it; their streams fetch what they missed from history
    superseded (v, key) {
      for (const ref of v.subscribers.values()) ref.tell({ type: 'room-moved', room: key })
    },
    canPassivate: (ctx) => ctx.volatile.subscribers.size === 0 && ctx.volatile.answering.size === 0 && !isBusy(ctx),
    // posts waiting for verdicts and commands waiting for answers live in this activation only
    busy: isBusy,
    interrupt: interruptCommands,
    receive: receiveRoomMsg
  }
}

/** A room of a node with no plugins. */
export const chatRoom = chatRoomType({ plugins: NO_ROOM_PLUGINS })

function isBusy (ctx: RoomContext): boolean {
  return ctx.volatile.judged.length > 0 || ctx.volatile.commands.length > 0
}

function applyRoomEvent (state: RoomState, event: RoomEvent, seq: number): RoomState {
  const createdAt = state.createdAt === 0 ? event.ts : state.createdAt
  switch (event.type) {
    case 'message-posted': {
      const posters = postersAfter(state.posters, event)
      if (event.importedFrom !== undefined) return noteImported({ ...state, posters }, createdAt, event.importedFrom)
      const key = postKey(event)
      if (key !== undefined) {
        return { ...state, createdAt, posters, recentPosts: remember(state.recentPosts ?? {}, event.user, { clientId: key, seq, ts: event.ts }) }
      }
      return createdAt === state.createdAt && posters === state.posters ? state : { ...state, createdAt, posters }
    }
    case 'member-joined': return { ...state, createdAt, members: [...state.members, event.user].sort() }
    case 'member-left': return { ...state, createdAt, members: state.members.filter((m) => m !== event.user) }
    case 'message-redacted': return { ...state, createdAt, redacted: addSeq(state.redacted, event.seq) }
    default: return assertNever(event, 'room event')
  }
}

/** The room's posters with a post's author (and an imported post's original author) noted. */
function postersAfter (posters: RoomState['posters'], event: Extract<RoomEvent, { type: 'message-posted' }>): RoomState['posters'] {
  const noted = notePoster(posters, event.user)
  const original = (event as { readonly importedFrom?: { readonly user?: unknown } }).importedFrom?.user
  return typeof original === 'string' ? notePoster(noted, original) : noted
}

async function receiveRoomMsg (ctx: RoomContext, msg: RoomMsg): Promise<void> {
  switch (msg.type) {
    case 'post':
      await receivePost(ctx, msg)
      return
    case 'post-judged':
      await settleJudged(ctx)
      return
    case 'command-answered':
      postAnswers(ctx)
      return
    case 'hooks-idle':
      hooksIdle(ctx, msg.plugin, msg.seq)
      return
    case 'agent-stream':
      agentStreamed(ctx, msg)
      return
    case 'agent-replied':
      agentReplied(ctx, msg)
      return
    case 'join':
      if (ctx.state.members.includes(msg.user)) {
        ctx.reply(msg.replyTo, info(ctx))
        return
      }
      if (!await ensureRegistered(ctx, msg.user, [msg.replyTo])) return
      record(ctx, { type: 'member-joined', user: msg.user, ts: Date.now() }, () => { ctx.reply(msg.replyTo, info(ctx)) }, [msg.replyTo])
      return
    case 'leave':
      if (!ctx.state.members.includes(msg.user)) {
        ctx.reply(msg.replyTo, info(ctx))
        return
      }
      record(ctx, { type: 'member-left', user: msg.user, ts: Date.now() }, () => { ctx.reply(msg.replyTo, info(ctx)) }, [msg.replyTo])
      return
    case 'history': {
      const limit = Math.min(Math.max(1, Math.floor(msg.limit)), MAX_HISTORY_LIMIT)
      const records = await ctx.events(Math.max(0, Math.floor(msg.after)) + 1, limit)
      ctx.reply(msg.replyTo, records.map((r) => toMessage(ctx.key, r, ctx.state.redacted)))
      return
    }
    case 'redact':
      await redact(ctx, msg)
      return
    case 'erase-user':
      await eraseUser(ctx, msg)
      return
    case 'apply-retention':
      await applyRetention(ctx, msg)
      return
    case 'info':
      ctx.reply(msg.replyTo, info(ctx))
      return
    case 'subscribe': {
      // wherever the gateway is: a push it cannot take drops it, and it renews (see push)
      ctx.volatile.subscribers.set(gatewayKey(msg.gateway), ctx.actorAt<RoomFeed>(msg.gateway))
      ctx.reply(msg.replyTo, { lastSeq: ctx.durableSeq })
      return
    }
    case 'unsubscribe':
      ctx.volatile.subscribers.delete(gatewayKey(msg.gateway))
      return
    case 'export-head':
      exportHead(ctx, msg)
      return
    case 'export-page':
      exportPage(ctx, msg)
      return
    case 'import':
      await importPosts(ctx, msg)
      return
    default:
      assertNever(msg, 'room message')
  }
}
