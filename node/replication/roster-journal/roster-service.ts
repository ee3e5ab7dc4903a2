import { isSuperseded } from '../../../actors/index.ts'
import type { ActorSystem, Behavior, ReplyTo } from '../../../actors/index.ts'
import { shown } from '../../../protocols/index.ts'
import { systemPath } from '../../../protocols/p2p/index.ts'
import { REPLICA_ASK_MS } from '../constants.ts'
import { InvalidReplicaReplyError, InvalidReplicaRequestError } from '../errors.ts'
import type { OwnerLog } from '../journal/owner-env.ts'
import { answeringActor } from './answering-actor.ts'
import { checkRosterChange, checkRosterVersion, journalSet } from './roster-entry.ts'
import type { RosterChange, RosterVersion, VersionMember } from './roster-entry.ts'
import type { RosterHistory } from './roster-history.ts'
import { RosterKeeper } from './roster-keeper.ts'
import type { Proposal } from './roster-keeper.ts'
import { rosterEnv } from './roster-replica.ts'
import type { RosterReplica } from './roster-replica.ts'

/** Where every node answers for the roster journal's keeper (docs/replication.md, "Roster versions"). */
export const ROSTER_KEEPER_PATH = systemPath('roster-keeper', 1)
/** Versions one answer carries at most (a node further behind asks again from the last). */
export const VERSIONS_PAGE = 64
/** Times a proposal goes again when the roster moved on under it (each after the versions between are read). */
const PROPOSE_TRIES = 4

export type RosterKeeperMsg =
  | { readonly type: 'propose', readonly base: number, readonly change: RosterChange, readonly replyTo: ReplyTo<Proposal> }
  | { readonly type: 'versions', readonly from: number, readonly replyTo: ReplyTo<RosterVersion[]> }
  /** Any node answers: its partitions' configuration versions (null: not known there). */
  | { readonly type: 'configs', readonly replyTo: ReplyTo<unknown> }

/** The node asked is not the keeper in its own view (views differ for a moment): ask `keeper`. */
export class NotRosterKeeperError extends Error {
  override readonly name = 'NotRosterKeeperError'
  readonly kind = 'unavailable'
  readonly keeper: string | undefined
  constructor (keeper: string | undefined) {
    super(keeper === undefined ? 'no storage node of the roster is up to keep it; retry when one is' : `this node does not keep the roster journal: ${keeper} does; retry`)
    this.keeper = keeper
  }
}

/** Checks a message for the keeper from another node (anything else is refused, nothing changes). */
export function checkRosterKeeperMsg (value: unknown): RosterKeeperMsg {
  const m = value as Record<string, unknown> | null
  if (m !== null && typeof m === 'object' && m.type === 'propose' && Number.isSafeInteger(m.base) && (m.base as number) >= 1) {
    let change: RosterChange
    try {
      change = checkRosterChange(m.change)
    } catch (err) {
      throw new InvalidReplicaRequestError(`roster keeper: ${(err as Error).message}`)
    }
    return { type: 'propose', base: m.base as number, change, replyTo: m.replyTo as ReplyTo<Proposal> }
  }
  if (m !== null && typeof m === 'object' && m.type === 'versions' && Number.isSafeInteger(m.from) && (m.from as number) >= 1) {
    return { type: 'versions', from: m.from as number, replyTo: m.replyTo as ReplyTo<RosterVersion[]> }
  }
  if (m !== null && typeof m === 'object' && m.type === 'configs') return { type: 'configs', replyTo: m.replyTo as ReplyTo<unknown> }
  throw new InvalidReplicaRequestError(`roster keeper: expected { type: "propose", base >= 1, change }, { type: "versions", from >= 1 } or { type: "configs" }, got ${shown((m as { type?: unknown } | null)?.type, 40)}`)
}

export interface RosterServiceOptions {
  readonly self: string
  readonly system: () => ActorSystem
  /** This node's applied versions. */
  readonly history: RosterHistory
  /** This node's replica of the journal (a storage node's). */
  readonly replica?: RosterReplica
  /** The members up in this node's view, itself included. */
  readonly live: () => ReadonlySet<string>
  /** This node's partitions' configuration versions, as a member asks for them (undefined: not
   * known here). */
  readonly configs?: () => unknown
  readonly log?: OwnerLog
}

/**
 * A node's part in roster versions (docs/replication.md, "Roster versions"): the keeper's place
 * (the live storage node of the latest version with the lowest peer id, in this node's view: while
 * views differ two may keep it at once, which the journal's fence orders), the keeper itself when
 * this node is that place, and the way any node proposes a change and reads versions it lacks.
 */
export class RosterService {
  readonly #opts: RosterServiceOptions
  #keeper: RosterKeeper | undefined
  #opening: Promise<RosterKeeper> | undefined
  #closed = false

  constructor (opts: RosterServiceOptions) {
    this.#opts = opts
  }

  /** Where the keeper is, in this node's view (undefined: no version yet, or none of its nodes up). */
  keeperNode (): string | undefined {
    const latest = this.#opts.history.latest
    if (latest === undefined) return undefined
    const live = this.#opts.live()
    return journalSet(latest).find((n) => live.has(n))
  }

  /** Answers keepers' messages from other nodes at ROSTER_KEEPER_PATH. */
  spawn (system: ActorSystem): void {
    system.spawn(rosterKeeperActor(this), { name: ROSTER_KEEPER_PATH.slice(1), kind: 'roster-keeper', mailbox: 1_024 })
  }

  /** Forms version 1: with this node alone (`capacity`: a cluster's first storage node, on an empty
   * data dir), or with the storage nodes given (a cluster whose nodes kept a roster before versions:
   * what this node knows of it; this node among them). */
  async form (with_: number | readonly VersionMember[]): Promise<RosterVersion> {
    const existing = this.#opts.history.latest
    if (existing !== undefined) return existing
    const members = typeof with_ === 'number' ? [{ peerId: this.#opts.self, capacity: with_ }] : with_
    if (!members.some((m) => m.peerId === this.#opts.self && m.state === undefined)) throw new RangeError('a roster is formed with the node that forms it among its members (neither leaving nor replaced)')
    const keeper = await this.#open(members)
    await this.#opts.history.apply(keeper.head)
    return keeper.head
  }

  /**
   * Proposes a change on the latest version this node applied, through the keeper (here or on
   * another node); when the roster moved on under it, reads the versions between and proposes again
   * on the new latest, unless the change no longer applies there. Resolves with the outcome; the
   * version made, or those read, are applied here before it resolves.
   */
  async propose (change: RosterChange): Promise<Proposal> {
    let outcome: Proposal | undefined
    for (let i = 0; i < PROPOSE_TRIES; i++) {
      const latest = this.#opts.history.latest
      if (latest === undefined) throw new NotRosterKeeperError(undefined)
      outcome = checkProposal(await this.#ask<unknown>((replyTo) => ({ type: 'propose', base: latest.version, change, replyTo })))
      if (outcome.ok) {
        await this.#opts.history.apply(checkRosterVersion(outcome.version, latest))
        return outcome
      }
      if (outcome.head.version <= latest.version) return outcome
      await this.catchUp()
    }
    return outcome as Proposal
  }

  /** Reads the versions after this node's latest from the keeper and applies them, in order; a
   * node that applied none yet asks `via` (a member it knows), which names the keeper if it is not. */
  async catchUp (via?: string): Promise<void> {
    for (;;) {
      const latest = this.#opts.history.latest
      const page = await this.#ask<RosterVersion[]>((replyTo) => ({ type: 'versions', from: (latest?.version ?? 0) + 1, replyTo }), latest === undefined ? via : undefined)
      if (!Array.isArray(page) || page.length === 0) return
      // (none applied yet: the latest ones a member applied; else the next ones, in order)
      if (latest === undefined) await this.#opts.history.adopt(page.slice(0, VERSIONS_PAGE))
      else {
        let prev = latest
        for (const v of page.slice(0, VERSIONS_PAGE)) {
          prev = checkRosterVersion(v, prev)
          await this.#opts.history.apply(prev)
        }
      }
      if (page.length < VERSIONS_PAGE) return
    }
  }

  /** What the keeper here answers (the actor calls it): refused when this node is not the keeper's place. */
  async serve (msg: RosterKeeperMsg): Promise<Proposal | RosterVersion[] | unknown> {
    if (msg.type === 'configs') return this.#opts.configs?.() ?? null
    const place = this.keeperNode()
    if (place !== this.#opts.self) {
      // (a node that applied none yet asks a member it knows: it answers with what it applied, the
      // newest last, so that the asker knows where the keeper is)
      if (msg.type === 'versions' && place !== undefined) return this.#opts.history.applied.filter((v) => v.version >= msg.from || msg.from === 1)
      throw new NotRosterKeeperError(place)
    }
    // (a keeper found superseded by another, on a node whose view named this one for a moment, is
    // taken again once: the journal's latest is read on the way)
    const run = async (keeper: RosterKeeper): Promise<Proposal | RosterVersion[]> => msg.type === 'versions' ? (await keeper.entries(msg.from)).slice(0, VERSIONS_PAGE) : await keeper.propose(msg.base, msg.change)
    let answer: Proposal | RosterVersion[]
    try {
      answer = await run(await this.#keeperHere())
    } catch (err) {
      if (!isSuperseded(err)) throw err
      answer = await run(await this.#keeperHere())
    }
    if (msg.type === 'versions') return answer
    const outcome = answer as Proposal
    // (applied here before it is answered: the keeper's node never lags what it made)
    if (outcome.ok) await this.#opts.history.apply(outcome.version)
    return outcome
  }

  /** What `peer` answers of its partitions' configuration versions (unchecked: null when it knows
   * none; PartitionConfigs.adopt checks them). */
  async configsOf (peer: string): Promise<unknown> {
    return await this.#ask<unknown>((replyTo) => ({ type: 'configs', replyTo }), peer)
  }

  close (): void {
    this.#closed = true
    this.#keeper?.close()
    this.#keeper = undefined
  }

  /** Asks the keeper (where this node's view places it, or `to`); a node that says it is not the
   * keeper names the one it sees, asked once more. */
  async #ask<T> (msg: (replyTo: ReplyTo<T>) => RosterKeeperMsg, to?: string): Promise<T> {
    let place = to ?? this.keeperNode()
    for (let redirect = 0; ; redirect++) {
      if (place === undefined) throw new NotRosterKeeperError(undefined)
      try {
        if (place === this.#opts.self) return await this.serve(msg(undefined as unknown as ReplyTo<T>)) as T
        return await this.#opts.system().actorAt<RosterKeeperMsg>({ node: place, path: ROSTER_KEEPER_PATH }).ask<T>(msg as (replyTo: ReplyTo<T>) => RosterKeeperMsg, { timeout: REPLICA_ASK_MS * 3 })
      } catch (err) {
        const named = (err as { name?: unknown, keeper?: unknown }).keeper
        if (redirect > 0 || (err as Error).name !== 'NotRosterKeeperError' || typeof named !== 'string' || named === place) throw err
        place = named
      }
    }
  }

  /** The keeper here, taken again when the one held failed (a newer keeper took the journal). */
  async #keeperHere (): Promise<RosterKeeper> {
    const held = this.#keeper
    if (held !== undefined && held.failed === undefined) return held
    return await this.#open(undefined)
  }

  #open (form: RosterKeeperOptionsForm): Promise<RosterKeeper> {
    if (this.#opening !== undefined) return this.#opening
    const { self, system, history, replica, live, log } = this.#opts
    const opening = RosterKeeper.open({
      env: rosterEnv({ self, system, ...(replica !== undefined && { local: replica.core }), live: (n) => live().has(n) }),
      self,
      applied: history.applied,
      ...(form !== undefined && { form }),
      activation: `roster-keeper@${self}/${Date.now().toString(36)}`,
      // (the keeper goes on only once its node applied it: nothing is planned under a version a
      // restart would forget; a version already applied is 'known')
      onVersion: (v) => { void history.apply(v).catch((err: unknown) => { log?.debug({ err }, 'a roster version the keeper told was not applied here') }) },
      ...(log !== undefined && { log })
    }).then((keeper) => {
      this.#keeper?.close()
      if (this.#closed) keeper.close()
      else this.#keeper = keeper
      return keeper
    }).finally(() => { this.#opening = undefined })
    this.#opening = opening
    return opening
  }
}

type RosterKeeperOptionsForm = readonly VersionMember[] | undefined

/** A keeper's answer to a proposal, checked as anything from another node is (InvalidReplicaReplyError). */
export function checkProposal (value: unknown): Proposal {
  const p = value as Record<string, unknown> | null
  const fail = (why: string): never => { throw new InvalidReplicaReplyError(`roster keeper's answer: ${why}`) }
  if (p === null || typeof p !== 'object') return fail('not an object')
  try {
    if (p.ok === true) return { ok: true, version: checkRosterVersion(p.version) }
    if (p.ok === false && typeof p.why === 'string') return { ok: false, head: checkRosterVersion(p.head), why: p.why.slice(0, 400) }
  } catch (err) {
    return fail((err as Error).message)
  }
  return fail('expected { ok: true, version } or { ok: false, head, why }')
}

/** The actor at ROSTER_KEEPER_PATH: each message answered once served (the service orders them). */
export function rosterKeeperActor (service: RosterService): Behavior<RosterKeeperMsg, undefined> {
  return answeringActor<RosterKeeperMsg, RosterKeeperMsg>(checkRosterKeeperMsg, async (msg) => await service.serve(msg))
}
