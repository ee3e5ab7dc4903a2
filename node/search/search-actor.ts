import { agentDisplayName, isReplyTo } from '../../actors/index.ts'
import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'
import { isUserName, USER_NAME_RULE } from '../../protocols/index.ts'
import { MAX_TOUCHED_ROOMS, MAX_VECTOR_DIMENSIONS, SEARCH_MAILBOX } from './constants.ts'
import { InvalidSearchError, SearchUnavailableError } from './errors.ts'
import type { LocalHit } from './fts-index.ts'
import type { IndexAnswer, SearchIndex } from './search-index.ts'
import { checkSearchQuery, checkSearchViewer } from './search-query.ts'
import type { SearchQuery, SearchViewer } from './search-query.ts'

/** Where every node answers its part of a search (docs/protocol.md, "Search"). */
export const SEARCH_PATH = systemPath('search', 1)

/** One hit as it crosses the wire (LocalHit less the row id, which means nothing elsewhere). */
export type WireHit = Omit<LocalHit, 'id'>

/** A node's part of a search: its hits of the partitions it was asked for. */
export interface NodeAnswer {
  readonly node: string
  readonly hits: readonly WireHit[]
  readonly complete: boolean
  readonly semantic: IndexAnswer['semantic']
  readonly embedMs: number
}

/** A node's answer to `touched`: the rooms its store's records name the user in (null: more than
 * MAX_TOUCHED_ROOMS), and whether its index holds every change its store does. */
export interface TouchedAnswer {
  readonly node: string
  readonly rooms: readonly string[] | null
  readonly complete: boolean
}

/** Which rooms' records name a user (their posts, their agent's, imports of theirs, their joins):
 * an erasure's question (node/erasure/user-erasure.ts). */
export interface TouchedMsg {
  readonly type: 'touched'
  readonly user: string
  readonly replyTo: ReplyTo<TouchedAnswer>
}

export type SearchActorMsg = TouchedMsg | SearchFrame

export interface SearchFrame {
  readonly type: 'search'
  readonly query: SearchQuery
  /** Who asks (checked by the asking node's API: the user of the call, or null for an admin); the
   * answering node applies what they may see itself. */
  readonly viewer: SearchViewer
  readonly partitions: readonly number[]
  /** The query's embedding when the asking node made one (else this node embeds, if it can). */
  readonly vector?: readonly number[]
  readonly replyTo: ReplyTo<NodeAnswer>
}

/** A `touched` frame from another node, or InvalidSearchError naming what is wrong. */
export function checkTouchedMsg (value: unknown): TouchedMsg {
  const m = value as Record<string, unknown> | null
  if (m === null || typeof m !== 'object' || m.type !== 'touched') throw new InvalidSearchError('touched frame: expected { type: "touched", user, replyTo }')
  if (!isReplyTo(m.replyTo)) throw new InvalidSearchError('touched frame: replyTo: expected a reply address')
  if (!isUserName(m.user)) throw new InvalidSearchError(`touched frame: user: expected a user name (${USER_NAME_RULE})`)
  return { type: 'touched', user: m.user, replyTo: m.replyTo as ReplyTo<TouchedAnswer> }
}

/** A search frame from another node, or InvalidSearchError naming what is wrong. */
export function checkSearchActorMsg (value: unknown, partitions: number): SearchFrame {
  const m = value as Record<string, unknown> | null
  if (m === null || typeof m !== 'object' || m.type !== 'search') throw new InvalidSearchError('search frame: expected { type: "search", query, viewer, partitions, replyTo } or { type: "touched", user, replyTo }')
  if (!isReplyTo(m.replyTo)) throw new InvalidSearchError('search frame: replyTo: expected a reply address')
  const query = checkSearchQuery(m.query)
  const viewer = checkSearchViewer(m.viewer)
  const ps = m.partitions
  if (!Array.isArray(ps) || ps.length === 0 || ps.length > partitions || !ps.every((p) => Number.isSafeInteger(p) && p >= 0 && p < partitions)) {
    throw new InvalidSearchError(`search frame: partitions: expected 1-${partitions} partitions from 0 to ${partitions - 1}`)
  }
  const out: { -readonly [K in keyof SearchFrame]: SearchFrame[K] } = { type: 'search', query, viewer, partitions: ps as number[], replyTo: m.replyTo as ReplyTo<NodeAnswer> }
  if (m.vector !== undefined) {
    if (!Array.isArray(m.vector) || m.vector.length === 0 || m.vector.length > MAX_VECTOR_DIMENSIONS || !m.vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new InvalidSearchError(`search frame: vector: expected 1-${MAX_VECTOR_DIMENSIONS} finite numbers`)
    }
    out.vector = m.vector as number[]
  }
  return out
}

/** Answers a search of this node's index (of the partitions asked), as another node asks it. */
export async function answerLocally (node: string, index: SearchIndex, query: SearchQuery, viewer: SearchViewer, partitions: readonly number[] | undefined, vector?: readonly number[]): Promise<NodeAnswer> {
  const a = await index.search(query, viewer, partitions, vector === undefined ? undefined : Float32Array.from(vector))
  return { node, hits: a.hits.map(({ id: _id, ...hit }) => hit), complete: a.complete, semantic: a.semantic, embedMs: a.embedMs }
}

/** This node's answer to `touched`: the rooms its index says name the user or their agent. */
export async function touchedLocally (node: string, index: SearchIndex, user: string): Promise<TouchedAnswer> {
  const { rooms, complete } = await index.touchedBy([user, agentDisplayName(user)])
  return { node, rooms: rooms.length > MAX_TOUCHED_ROOMS ? null : rooms, complete }
}

/**
 * `/search`: every node, whether it keeps an index or not (one without answers
 * SearchUnavailableError, and the asker asks another replica). Frames are checked before anything
 * is read; the viewer's limits (every room, their own agent) are applied here, by the node that
 * answers.
 */
export function searchActor (node: string, partitions: number, index: () => SearchIndex | undefined): Behavior<SearchActorMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, sent, ctx) {
      let msg: SearchActorMsg
      let local: SearchIndex | undefined
      try {
        msg = (sent as { type?: unknown } | null)?.type === 'touched' ? checkTouchedMsg(sent) : checkSearchActorMsg(sent, partitions)
        local = index()
        if (local === undefined) throw new SearchUnavailableError(`${node} keeps no search index`)
      } catch (err) {
        // a refusal to the asker, not a crash of the actor
        const replyTo = (sent as { replyTo?: unknown } | null)?.replyTo
        if (isReplyTo(replyTo)) ctx.fail(replyTo, err)
        return undefined
      }
      if (msg.type === 'touched') {
        const m = msg
        touchedLocally(node, local, m.user).then((a) => { ctx.reply(m.replyTo, a) }, (err: unknown) => { ctx.fail(m.replyTo, err) })
        return undefined
      }
      answerLocally(node, local, msg.query, msg.viewer, msg.partitions, msg.vector).then((a) => { ctx.reply(msg.replyTo, a) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      return undefined
    }
  }
}

export function spawnSearchActor (system: ActorSystem, partitions: number, index: () => SearchIndex | undefined): void {
  system.spawn(searchActor(system.node, partitions, index), { name: SEARCH_PATH.slice(1), kind: 'search', mailbox: SEARCH_MAILBOX })
}
