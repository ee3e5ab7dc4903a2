import { describe } from '../../protocols/index.ts'
import type { Journal, JournalRecord, Refs } from '../../actors/index.ts'
import { JOURNAL_PAGE, JOURNAL_PATH } from './journal-server.ts'
import type { JournalMsg } from './journal-server.ts'
import type { MemberView } from './membership.ts'

/** Catching up one entity's journal: the head asked of each member (a live one answers in ms),
 * each page, and the whole of it. */
const HEAD_ASK_MS = 2_000
const PAGE_ASK_MS = 6_000
const TOTAL_MS = 30_000

export interface JournalCatchUpOptions {
  readonly refs: Refs
  readonly journal: Journal
  /** The members as placement last saw them. */
  readonly members: () => readonly MemberView[]
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
}

/**
 * Before an entity recovers here, brings its local journal up to the longest one a reachable
 * member holds (the `/journal` actor of every node serves it): an entity whose owner changed (a
 * join, a role change, a drain) keeps its history as long as the member it lived on is up. Pages
 * are appended in order; whatever cannot be fetched is left out (logged) and the entity starts
 * from what is here. Replication (issue 12) replaces this with journals held by several nodes.
 */
export class JournalCatchUp {
  readonly #opts: JournalCatchUpOptions

  constructor (opts: JournalCatchUpOptions) {
    this.#opts = opts
  }

  /** Never rejects. */
  async catchUp (entityId: string): Promise<void> {
    const { refs, journal, log } = this.#opts
    // members that are up or draining: a suspect one is likely gone, and waiting on it would hold
    // the activation (and the message that caused it) for the ask's timeout
    const others = this.#opts.members().filter((m) => m.peerId !== refs.node && (m.status === 'up' || m.status === 'draining'))
    if (others.length === 0) return
    try {
      const local = await journal.highestSeq(entityId)
      const heads = await Promise.all(others.map(async (m) => {
        try {
          const seq = await refs.actorAt<JournalMsg>({ node: m.peerId, path: JOURNAL_PATH })
            .ask<number>((replyTo) => ({ type: 'head', entityId, replyTo }), { timeout: HEAD_ASK_MS })
          return { peer: m.peerId, seq }
        } catch (err) {
          log.debug({ peer: m.peerId, entity: entityId }, `no journal head of ${entityId} from ${m.peerId}: ${describe(err)}`)
          return { peer: m.peerId, seq: -1 }
        }
      }))
      const best = heads.reduce((a, b) => (b.seq > a.seq ? b : a))
      if (best.seq <= local) return
      const source = refs.actorAt<JournalMsg>({ node: best.peer, path: JOURNAL_PATH })
      const deadline = Date.now() + TOTAL_MS
      let from = local + 1
      let limit = JOURNAL_PAGE
      while (from <= best.seq && Date.now() < deadline) {
        let page: JournalRecord[]
        try {
          page = await source.ask<JournalRecord[]>((replyTo) => ({ type: 'read', entityId, from, limit, replyTo }), { timeout: PAGE_ASK_MS })
        } catch (err) {
          if ((err as Error).name === 'MessageTooLargeError' && limit > 1) {
            limit = Math.max(1, Math.floor(limit / 2))
            continue
          }
          throw err
        }
        if (page.length === 0 || page.some((r, i) => r.seq !== from + i)) break
        await journal.append(entityId, page)
        from += page.length
      }
      log.info({ entity: entityId, from: best.peer, events: from - 1 - local }, `${entityId}: took events ${local + 1}-${from - 1} of its journal from ${best.peer}, where it lived before`)
      if (from <= best.seq) log.warn({ entity: entityId }, `${entityId}: its journal on ${best.peer} goes to seq ${best.seq}, only ${from - 1} could be fetched; it starts from there`)
    } catch (err) {
      log.warn({ entity: entityId, err }, `${entityId}: catching up its journal from other members failed (${describe(err)}); it starts from this node's journal`)
    }
  }
}
