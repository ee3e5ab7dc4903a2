import { AGENT, ERASURES, ERASURE_LOG_KEY, ROOM, TOOL_POLICY, USERS, USER_DIRECTORY_KEY, agentDisplayName, hasSeq, postedBy, scrubbed } from '../../actors/index.ts'
import { kindOf } from '../../protocols/index.ts'
import type { ActorSystem, ErasureLogView, RoomEvent } from '../../actors/index.ts'
import type { StoredRecord } from '../replication/index.ts'
import { ERASE_ROOM_ASK_MS } from './constants.ts'

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
  readonly #system: Pick<ActorSystem, 'entity'> | undefined
  /** By entity: the erased users and the redacted seqs its backup held, to carry out again once it
   * is restored (after). */
  readonly #again = new Map<string, { readonly users: Set<string>, readonly seqs: number[] }>()

  /** `system`: where `after` carries the erasures out again (absent: it does nothing). */
  constructor (view: ErasureLogView, system?: Pick<ActorSystem, 'entity'>) {
    this.#view = view
    this.#users = new Set(view.users.map((u) => u.name))
    this.#system = system
  }

  /** The log as it is now. */
  static async load (system: Pick<ActorSystem, 'entity'>): Promise<ErasureFilter> {
    return new ErasureFilter(await system.entity(ERASURES, ERASURE_LOG_KEY).ask<ErasureLogView>((replyTo) => ({ type: 'view', replyTo })), system)
  }

  /**
   * Once an entity is restored, carries out again through the entity itself what its backup held of
   * the log: a restore writes only the records where a replica's journal parts from the backup's,
   * and drops what came after it, so a record kept as the replica had it (the user directory's add
   * of a user removed since) comes back with the later records gone. An erased user is removed
   * from the directory again; their posts in a room, and its redacted seqs, are redacted again
   * (answered at once where they are already).
   */
  async after (entity: string): Promise<void> {
    const again = this.#again.get(entity)
    this.#again.delete(entity)
    if (again === undefined || this.#system === undefined) return
    const slash = entity.indexOf('/')
    const type = entity.slice(0, slash)
    const key = entity.slice(slash + 1)
    if (type === USERS.type) {
      for (const name of again.users) {
        await this.#system.entity(USERS, USER_DIRECTORY_KEY).ask((replyTo) => ({ type: 'remove', name, replyTo }), { timeout: ERASE_ROOM_ASK_MS })
          .catch((err: unknown) => { if (kindOf(err) !== 'not-found') throw err })
      }
      return
    }
    const room = this.#system.entity(ROOM, key)
    for (const user of again.users) await room.ask((replyTo) => ({ type: 'erase-user', user, by: ERASURE_LOG_ACTOR, replyTo }), { timeout: ERASE_ROOM_ASK_MS })
    for (const seq of again.seqs) {
      await room.ask((replyTo) => ({ type: 'redact', user: ERASURE_LOG_ACTOR, seq, admin: true, replyTo }), { timeout: ERASE_ROOM_ASK_MS })
        // a seq the restored room does not hold (the backup is older than the post): nothing to redact
        .catch((err: unknown) => { if (kindOf(err) !== 'not-found') throw err })
    }
  }

  #note (entity: string, user: string | undefined, seq: number | undefined): void {
    let again = this.#again.get(entity)
    if (again === undefined) this.#again.set(entity, again = { users: new Set(), seqs: [] })
    if (user !== undefined) again.users.add(user)
    if (seq !== undefined) again.seqs.push(seq)
  }

  /** The erased user a post's `user` names (themselves or their agent), or undefined. */
  #ownerOf (poster: string): string | undefined {
    if (this.#users.has(poster)) return poster
    const owner = poster.endsWith(AGENT_SUFFIX) ? poster.slice(0, -AGENT_SUFFIX.length) : undefined
    return owner !== undefined && this.#users.has(owner) && postedBy(poster, owner) ? owner : undefined
  }

  /** The user directory's records with an erased user's adds written as removals: the backup's
   * token hash of an erased user never comes back, so their old token stays refused. */
  #directory (records: readonly StoredRecord[]): readonly StoredRecord[] {
    return records.map((r) => {
      const event = r.event as { type?: unknown, name?: unknown, ts?: unknown }
      if (event?.type !== 'user-added' || typeof event.name !== 'string' || !this.#users.has(event.name)) return r
      this.#note(`${USERS.type}/${USER_DIRECTORY_KEY}`, event.name, undefined)
      return { ...r, event: { type: 'user-removed', name: event.name, ts: typeof event.ts === 'number' ? event.ts : 0 } }
    })
  }

  /** Whether `records` may change this entity's records (or leave the entity as it is: null), by
   * the same rules, without looking at them. */
  touches (entity: string): boolean {
    const slash = entity.indexOf('/')
    const type = entity.slice(0, slash)
    const key = entity.slice(slash + 1)
    if (type === ERASURES.type) return true
    if (type === AGENT.type || type === TOOL_POLICY.type) return this.#users.has(key)
    if (type === USERS.type) return this.#users.size > 0
    if (type !== ROOM.type) return false
    return this.#users.size > 0 || this.#view.redactions[key] !== undefined
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
      const owner = this.#ownerOf(event.user) ?? (typeof original === 'string' ? this.#ownerOf(original) : undefined)
      if (!hasSeq(redacted, r.seq) && owner === undefined) return r
      this.#note(entity, owner, owner === undefined ? r.seq : undefined)
      return { ...r, event: scrubbed(event, ERASURE_LOG_ACTOR, Date.now()) }
    })
  }
}
