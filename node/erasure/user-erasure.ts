import { AGENT, ERASURES, ERASURE_LOG_KEY, InvalidNameError, ROOM, ROOMS, ROOM_DIRECTORY_KEY } from '../../actors/index.ts'
import type { ActorSystem, AgentErasure, EraseAck, ErasedUser, RoomSummary } from '../../actors/index.ts'
import { USER_NAME_RULE, describe, isUserName, kindOf } from '../../protocols/index.ts'
import type { Job } from '../../protocols/index.ts'
import { KV_CACHE_PATH } from '../inference/index.ts'
import type { JobControl, Jobs } from '../jobs/index.ts'
import { ERASE_ROOM_ASK_MS, MEMBER_ASK_MS, ROOM_CONCURRENCY } from './constants.ts'
import { CompactionQueue } from './store-compaction.ts'

export interface UserErasureOptions {
  readonly system: ActorSystem
  readonly jobs: Jobs
  /** Removes the user from the directory, their tokens revoked on every node. */
  readonly users: { remove (name: string): Promise<unknown> }
  /** The user's tool grants (absent: none are kept). */
  readonly toolPolicy?: { view (user: string): Promise<{ readonly granted: readonly string[] }>, revoke (user: string, tools: readonly string[]): Promise<unknown> } | undefined
  /** Every member up (this node included): each removes the user's KV caches. */
  readonly members: () => readonly string[]
  /** The members holding replicas (this node included when it does): each compacts what changed. */
  readonly storageMembers: () => readonly string[]
  /** The rooms whose stored records name the user (the search indexes of every replica:
   * ClusterSearch.roomsTouchedBy), or why that is not known now; absent or unknown: every room is
   * asked. */
  readonly touchedRooms?: (user: string) => Promise<{ readonly rooms: readonly string[] } | { readonly unknown: string }>
}

/** What an erasure did, as its job's last message says. */
interface Tally {
  rooms: number
  /** Rooms whose records were rewritten: each is compacted on the stores as soon as it is done. */
  readonly compactions: CompactionQueue
  redacted: number
  kvStates: number
  failures: Array<{ item: string, why: string }>
}

/**
 * Erases a user, as an `erase` job: noted in the erasure log first (a restore meanwhile applies
 * it), their tokens revoked, every post of theirs and of their agent redacted in every room (each
 * room finds them in its own journal and rewrites them without their text), their agent's
 * conversation and settings erased and its journal trimmed, its KV caches removed on every member,
 * their tool grants revoked, and the stores compacted so the old bytes leave the files (each room as
 * soon as its rewrites landed, while the other rooms are read). Running it
 * again is harmless (what is erased stays erased) and finishes what a failed run left.
 */
export class UserErasure {
  readonly #opts: UserErasureOptions

  constructor (opts: UserErasureOptions) {
    this.#opts = opts
  }

  /** Starts the job; `by` is who asked (the audit trail's actor). */
  start (name: string, by: string): Job {
    if (!isUserName(name)) throw new InvalidNameError('user name', name, USER_NAME_RULE)
    return this.#opts.jobs.start('erase', name, async (control) => await this.erase(control, name, by))
  }

  /** The erasure itself; resolves with the job's message, rejects when a step failed for good. */
  async erase (control: JobControl, name: string, by: string): Promise<string> {
    const { system } = this.#opts
    const tally: Tally = { rooms: 0, compactions: new CompactionQueue(system, this.#opts.storageMembers), redacted: 0, kvStates: 0, failures: [] }
    control.progress({ message: `noting the erasure of ${name}` })
    await system.entity(ERASURES, ERASURE_LOG_KEY).ask<ErasedUser>((replyTo) => ({ type: 'note-erasure', name, by, replyTo }))
    await this.#opts.users.remove(name).catch((err: unknown) => {
      // removed already (an earlier run, or an admin): nothing to revoke
      if (kindOf(err) !== 'not-found') throw err
    })
    const rooms = await system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
    // only the rooms whose records name the user, when the indexes know them for sure: a room asked
    // that was idle is started (reads its state from the replicas), which for a thousand rooms the
    // user never posted in was most of an erasure's time; asked after the tokens were revoked, so
    // no post of theirs lands after the answer (but one already in flight: see docs/operations.md)
    const touched = await this.#touchedRooms(name)
    const asked = 'rooms' in touched ? touched.rooms : rooms.map((r) => r.name)
    const skipped = 'rooms' in touched ? ` (the ${Math.max(0, rooms.length - asked.length)} others hold nothing of theirs)` : touched.why === undefined ? '' : ` (every room: ${touched.why})`
    control.progress({ total: asked.length + 3, done: 0, message: `redacting ${name}'s posts in ${asked.length} rooms${skipped}` })
    await this.#eraseRooms(control, asked, name, by, tally)
    control.signal.throwIfAborted()
    const turns = await this.#eraseAgent(name, by, tally)
    await this.#forgetKvCaches(name, tally)
    await this.#revokeTools(name, tally)
    control.progress({ done: asked.length + 2, message: 'compacting the stores' })
    // only what changed: a room the user never posted in holds nothing of theirs to compact away
    // (the rooms that did were queued as they were done)
    tally.compactions.add(`${AGENT.type}/${name}`)
    await tally.compactions.done()
    // best effort: a member that failed keeps the old bytes in its files until LevelDB compacts them
    // by itself; it is listed, the job not failed
    const uncompacted = tally.compactions.failures
    control.progress({ done: asked.length + 3, failed: tally.failures.length, left: [...tally.failures, ...uncompacted] })
    const summary = `erased ${name}: ${tally.redacted} posts redacted in ${tally.rooms} of ${rooms.length} rooms (${asked.length} asked), ${turns} agent turns and ${tally.kvStates} KV caches removed, tokens revoked`
    if (tally.failures.length > 0) throw new Error(`${summary}; ${tally.failures.length} steps failed (run the erasure again): ${tally.failures.slice(0, 3).map((f) => `${f.item}: ${f.why}`).join('; ')}`)
    return summary
  }

  /** The rooms the indexes say name the user, or why not (every room is asked) when they cannot
   * say for sure or the question failed. */
  async #touchedRooms (name: string): Promise<{ readonly rooms: readonly string[] } | { readonly why?: string }> {
    const ask = this.#opts.touchedRooms
    if (ask === undefined) return {}
    try {
      const answer = await ask(name)
      return 'rooms' in answer ? answer : { why: answer.unknown }
    } catch (err) {
      return { why: describe(err) }
    }
  }

  /** Every room asked to redact the user's posts, ROOM_CONCURRENCY at a time; a room that fails is
   * listed (the run fails at its end, and a second run finishes it). */
  async #eraseRooms (control: JobControl, rooms: readonly string[], name: string, by: string, tally: Tally): Promise<void> {
    let next = 0
    let done = 0
    const worker = async (): Promise<void> => {
      while (next < rooms.length && !control.signal.aborted) {
        const room = rooms[next++] as string
        try {
          const ack = await this.#opts.system.entity(ROOM, room).ask<EraseAck>((replyTo) => ({ type: 'erase-user', user: name, by, replyTo }), { timeout: ERASE_ROOM_ASK_MS })
          tally.redacted += ack.redacted
          if (ack.redacted + ack.already > 0) tally.rooms++
          if (ack.redacted + ack.already > 0) tally.compactions.add(`${ROOM.type}/${room}`)
        } catch (err) {
          tally.failures.push({ item: `room/${room}`, why: describe(err) })
        }
        control.progress({ done: ++done, failed: tally.failures.length, left: tally.failures })
      }
    }
    await Promise.all(Array.from({ length: Math.min(ROOM_CONCURRENCY, rooms.length) }, worker))
  }

  /** The agent's conversation and settings erased and its journal trimmed; a failure (no member
   * with the ai role up to run the agent on) is listed, and a second run finishes it. */
  async #eraseAgent (name: string, by: string, tally: Tally): Promise<number> {
    try {
      const erased = await this.#opts.system.entity(AGENT, name).ask<AgentErasure>((replyTo) => ({ type: 'erase', user: name, by, replyTo }), { timeout: ERASE_ROOM_ASK_MS })
      return erased.turns
    } catch (err) {
      tally.failures.push({ item: `agent/${name}`, why: describe(err) })
      return 0
    }
  }

  async #forgetKvCaches (name: string, tally: Tally): Promise<void> {
    await Promise.all(this.#opts.members().map(async (node) => {
      try {
        tally.kvStates += await this.#opts.system.actorAt<{ type: 'kv-forget', cacheKey: string, replyTo: unknown }>({ node, path: KV_CACHE_PATH })
          .ask<number>((replyTo) => ({ type: 'kv-forget', cacheKey: `${AGENT.type}/${name}`, replyTo }), { timeout: MEMBER_ASK_MS })
      } catch (err) {
        tally.failures.push({ item: `kv-cache on ${node}`, why: describe(err) })
      }
    }))
  }

  async #revokeTools (name: string, tally: Tally): Promise<void> {
    const policy = this.#opts.toolPolicy
    if (policy === undefined) return
    try {
      const { granted } = await policy.view(name)
      if (granted.length > 0) await policy.revoke(name, granted)
    } catch (err) {
      tally.failures.push({ item: `tool-policy/${name}`, why: describe(err) })
    }
  }

}
