import type { Behavior, Journal, JournalRecord, RemotingPort, ReplyTo } from '../../actors/index.ts'
import { clip } from '../../protocols/index.ts'
import { InvalidPeerRequestError } from './errors.ts'

export type JournalMsg =
  /** The highest seq of an entity's journal here (after a hand-off in progress has written all). */
  | { readonly type: 'head', readonly entityId: string, readonly replyTo: ReplyTo<number> }
  /** Events of an entity's journal here, from `from`, at most `limit`. */
  | { readonly type: 'read', readonly entityId: string, readonly from: number, readonly limit: number, readonly replyTo: ReplyTo<JournalRecord[]> }

/** Where the journal server lives on every node. */
export const JOURNAL_PATH = '/journal'
/** Most events one read returns (a page must fit in one frame; the reader halves it if not). */
export const JOURNAL_PAGE = 64
/** How long a head request waits for a hand-off in progress to finish writing. */
const HANDED_OFF_WAIT_MS = 5_000

/**
 * Serves this node's journal to other members, so that an entity activated on a new owner starts
 * from the history it had here (Cluster.catchUp). Reads only. Requests are answered as their
 * reads complete, not one after another.
 */
export function journalServer (system: Pick<RemotingPort, 'handedOff'>, journal: Journal): Behavior<JournalMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      const entityId = (msg as { entityId?: unknown }).entityId
      const slash = typeof entityId === 'string' ? entityId.indexOf('/') : -1
      if (typeof entityId !== 'string' || entityId.length > 300 || slash < 1) throw new InvalidPeerRequestError('journal request: entityId must be "type/key"')
      if (msg.type === 'head') {
        system.handedOff(entityId.slice(0, slash), entityId.slice(slash + 1), HANDED_OFF_WAIT_MS)
          .then(() => journal.highestSeq(entityId))
          .then((seq) => { ctx.reply(msg.replyTo, seq) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return undefined
      }
      if (msg.type === 'read') {
        if (!Number.isSafeInteger(msg.from) || msg.from < 1 || !Number.isSafeInteger(msg.limit) || msg.limit < 1 || msg.limit > JOURNAL_PAGE) {
          throw new InvalidPeerRequestError(`journal read: from must be >= 1 and limit 1-${JOURNAL_PAGE}`)
        }
        journal.read(entityId, { from: msg.from, limit: msg.limit })
          .then((records) => { ctx.reply(msg.replyTo, records) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return undefined
      }
      throw new InvalidPeerRequestError(`unknown journal request ${clip(JSON.stringify((msg as { type?: unknown }).type) ?? '', 64)}`)
    }
  }
}
