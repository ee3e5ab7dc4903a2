import { AGENT, ERASURES, ERASURE_LOG_KEY, ROOM, TOOL_POLICY, USERS, agentDisplayName, hasSeq, postedBy, scrubbed } from '../../actors/index.ts'
import type { ActorSystem, ErasureLogView, RoomEvent } from '../../actors/index.ts'
import type { StoredRecord } from '../replication/index.ts'

/** How an agent's display name ends (agentDisplayName). */
const AGENT_SUFFIX = agentDisplayName('')

/** Who a post scrubbed by a restore says redacted it. */
export const ERASURE_LOG_ACTOR = 'erasure-log'

/**
 * The erasure log as a restore applies it (node/backup's restoreFilter): whatever a backup holds,
 * the records a restore writes carry no erased text. An erased user's posts (and their agent's) in
 * every room, and every post redacted since, are written without their text; an erased user's
 * add to the user directory is written as a removal (their token stays refused); their agent and
 * tool policy are not restored at all (they stay erased and trimmed); and the log itself
 * is not restored over a live one (an old copy would forget the erasures made since), only into a
 * cluster that has none.
 */
export class ErasureFilter {
  readonly #users: ReadonlySet<string>
  readonly #view: ErasureLogView

  constructor (view: ErasureLogView) {
    this.#view = view
    this.#users = new Set(view.users.map((u) => u.name))
  }

  /** The log as it is now. */
  static async load (system: Pick<ActorSystem, 'entity'>): Promise<ErasureFilter> {
    return new ErasureFilter(await system.entity(ERASURES, ERASURE_LOG_KEY).ask<ErasureLogView>((replyTo) => ({ type: 'view', replyTo })))
  }

  /** Whether a post's `user` is an erased user or their agent. */
  #erased (poster: string): boolean {
    if (this.#users.has(poster)) return true
    const owner = poster.endsWith(AGENT_SUFFIX) ? poster.slice(0, -AGENT_SUFFIX.length) : undefined
    return owner !== undefined && this.#users.has(owner) && postedBy(poster, owner)
  }

  /** The user directory's records with an erased user's adds written as removals: the backup's
   * token hash of an erased user never comes back, so their old token stays refused. */
  #directory (records: readonly StoredRecord[]): readonly StoredRecord[] {
    return records.map((r) => {
      const event = r.event as { type?: unknown, name?: unknown, ts?: unknown }
      if (event?.type !== 'user-added' || typeof event.name !== 'string' || !this.#users.has(event.name)) return r
      return { ...r, event: { type: 'user-removed', name: event.name, ts: typeof event.ts === 'number' ? event.ts : 0 } }
    })
  }

  /** The entity's records as the restore may write them, or null: leave the entity as it is now. */
  records (entity: string, records: readonly StoredRecord[]): readonly StoredRecord[] | null {
    const slash = entity.indexOf('/')
    const type = entity.slice(0, slash)
    const key = entity.slice(slash + 1)
    // the live log is newer than any backup's, unless the cluster has none (a cluster rebuilt from
    // scratch): then the backup's is the best there is
    if (type === ERASURES.type) return this.#users.size === 0 && Object.keys(this.#view.redactions).length === 0 ? records : null
    if ((type === AGENT.type || type === TOOL_POLICY.type) && this.#users.has(key)) return null
    if (type === USERS.type) return this.#users.size === 0 ? records : this.#directory(records)
    if (type !== ROOM.type) return records
    const redacted = this.#view.redactions[key]
    if (this.#users.size === 0 && redacted === undefined) return records
    return records.map((r) => {
      const event = r.event as RoomEvent
      if (event?.type !== 'message-posted' || event.redacted !== undefined) return r
      const original = (event as { readonly importedFrom?: { readonly user?: unknown } }).importedFrom?.user
      if (!hasSeq(redacted, r.seq) && !this.#erased(event.user) && !(typeof original === 'string' && this.#erased(original))) return r
      return { ...r, event: scrubbed(event, ERASURE_LOG_ACTOR, Date.now()) }
    })
  }
}
