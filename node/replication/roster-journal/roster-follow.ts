import { PeriodicService, ServiceFailures } from '../../services/index.ts'
import type { ServiceLog } from '../../services/index.ts'
import { applyChange } from './roster-entry.ts'
import type { RosterChange, RosterVersion, VersionMember } from './roster-entry.ts'
import type { RosterHistory } from './roster-history.ts'
import type { RosterService } from './roster-service.ts'

/** How often a node looks whether its roster versions are behind its members' or its roster's. */
export const ROSTER_FOLLOW_MS = 1_000
/** Changes the keeper's node proposes in one step at most (the rest at the next). */
const CHANGES_PER_STEP = 16

/** What the follower reads of the storage roster as the node keeps it today (StorageRoster). */
export interface FollowedRoster {
  known (): ReadonlyArray<{ readonly peerId: string, readonly capacity: number }>
  isLeaving (peerId: string): boolean
  isReplaced (peerId: string): boolean
}

/** Another member as heard: its status and the latest roster version it applied (its record's). */
export interface VersionedMember {
  readonly peerId: string
  readonly status: string
  readonly rosterVersion?: number
}

/**
 * The first change that brings `latest` closer to `roster` and applies to it (undefined: they
 * agree, or nothing that differs can be changed: a forget that would leave no node to keep the
 * journal). Joins first and forgets last, so that the journal's set never runs empty on the way.
 */
export function nextChange (roster: FollowedRoster, latest: RosterVersion): RosterChange | undefined {
  const inVersion = new Map(latest.members.map((m) => [m.peerId, m]))
  const known = roster.known()
  const stateOf = (peerId: string): 'leaving' | 'replaced' | undefined => roster.isLeaving(peerId) ? 'leaving' : roster.isReplaced(peerId) ? 'replaced' : undefined
  const wanted: RosterChange[] = []
  for (const m of known) if (!inVersion.has(m.peerId)) wanted.push({ kind: 'join', peerId: m.peerId, capacity: m.capacity })
  for (const m of known) {
    const v = inVersion.get(m.peerId)
    if (v === undefined) continue
    if (v.capacity !== m.capacity) wanted.push({ kind: 'capacity', peerId: m.peerId, capacity: m.capacity })
    const state = stateOf(m.peerId)
    if (state !== v.state) wanted.push(state === undefined ? { kind: 'back', peerId: m.peerId } : { kind: state === 'leaving' ? 'leave' : 'replace', peerId: m.peerId })
  }
  // (a node heard with the storage role again after it was replaced and then forgotten joins again)
  const knownIds = new Set(known.map((m) => m.peerId))
  for (const m of latest.members) if (!knownIds.has(m.peerId)) wanted.push({ kind: 'forget', peerId: m.peerId })
  return wanted.find((change) => !('refused' in applyChange(latest, change)))
}

/** The members version 1 forms with: the storage nodes `roster` knows, each with its state, and
 * `self` (with `capacity`) when it knows none of itself. */
export function formingMembers (roster: FollowedRoster, self: string, capacity: number): VersionMember[] {
  const members: VersionMember[] = roster.known().map((m) => ({
    peerId: m.peerId,
    capacity: m.capacity,
    ...(roster.isLeaving(m.peerId) ? { state: 'leaving' as const } : roster.isReplaced(m.peerId) ? { state: 'replaced' as const } : {})
  }))
  if (!members.some((m) => m.peerId === self)) members.push({ peerId: self, capacity })
  return members
}

export interface RosterFollowerOptions {
  readonly self: string
  readonly service: RosterService
  readonly history: RosterHistory
  readonly roster: FollowedRoster
  /** The other members as heard. */
  readonly members: () => readonly VersionedMember[]
  /** Whether this node forms version 1 when it applied none and hears no member that did (the
   * node a cluster started with: no join list, the storage role, settled). */
  readonly forms: () => boolean
  /** This node's capacity (its place in the version it forms). */
  readonly capacity: number
  /** This node's partitions' configuration versions (roster/partition-configs.ts): unknown after a
   * node skipped versions (it joined), then taken from a member at the same version. */
  readonly configs?: { readonly version: number | undefined, adopt (value: unknown, latest: number | undefined): boolean }
  readonly intervalMs?: number
  readonly log: ServiceLog
}

/** What the follower did so far (metrics). */
export interface RosterFollowStats {
  /** Changes this node proposed as the keeper's node and the keeper made. */
  proposed: number
  /** Changes refused (the roster moved on under them and they no longer applied). */
  refused: number
  formed: number
  /** Catch-ups run because a member had applied a newer version. */
  caughtUp: number
  /** Steps that failed (a keeper or a member out of reach): tried again at the next. */
  failed: number
  /** Times the partitions' configuration versions were taken from a member. */
  configsAdopted: number
}

/**
 * Roster versions as a node follows them (docs/replication.md, "Roster versions"): a node catches
 * up with the versions its members applied (their records say which) or a replica named
 * (`heard`), the node a cluster started with forms version 1, and the keeper's node proposes the
 * changes that make the latest version what its storage roster knows. Each node's record names
 * the latest version it applied, so a cluster's nodes can be seen to agree (the admin API's members).
 */
export class RosterFollower {
  readonly #opts: RosterFollowerOptions
  readonly #service: PeriodicService
  #configsTurn = 0
  /** The newest configuration version a replica refused an owner here for (0: none since the last
   * catch-up): above the latest applied, the node is behind the roster. */
  #heard = 0
  /** Stopped: a catch-up before readiness gives up (the node is stopping). */
  #stopped = false
  readonly stats: RosterFollowStats = { proposed: 0, refused: 0, formed: 0, caughtUp: 0, failed: 0, configsAdopted: 0 }

  constructor (opts: RosterFollowerOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({
      name: 'roster-follow',
      intervalMs: opts.intervalMs ?? ROSTER_FOLLOW_MS,
      // (a step that fails, a keeper out of reach, is counted here, in
      // plexi_roster_follow_failures_total, and said at debug, and the next one tries again, rather
      // than a warning for each; placement and owners stay on the versions applied meanwhile, and a
      // take that needs a newer one says so itself: VersionBehindError)
      run: async () => {
        try {
          await this.step()
        } catch (err) {
          this.stats.failed++
          opts.log.debug({ err }, `roster versions: a step failed (${(err as Error).message}); tried again in ${opts.intervalMs ?? ROSTER_FOLLOW_MS} ms`)
        }
      },
      failures: new ServiceFailures(),
      log: opts.log,
      runAtStart: true
    })
  }

  start (): void { this.#service.start() }

  async stop (): Promise<void> {
    this.#stopped = true
    await this.#service.stop()
  }

  /** The newest version a member not down names, when it is newer than this node's latest
   * (undefined: this node is not behind any member it hears). */
  behind (): number | undefined {
    const latest = this.#opts.history.latest?.version ?? 0
    let newest = 0
    for (const m of this.#opts.members()) if (m.status !== 'down' && (m.rosterVersion ?? 0) > newest) newest = m.rosterVersion ?? 0
    return newest > latest ? newest : undefined
  }

  /** A replica refused an owner here for configuration version `version` (docs/replication.md,
   * "Roster versions"): the roster made it, so this node is behind when it applied less; the next
   * step, run now, catches up. */
  heard (version: number): void {
    if (version <= (this.#opts.history.latest?.version ?? 0) || version <= this.#heard) return
    this.#heard = version
    void this.#service.trigger()
  }

  /** Whether this node is behind no member it hears and knows its partitions' configuration
   * versions at the version it applied (what its owners carry). */
  caughtUp (): boolean {
    const { configs, history } = this.#opts
    return this.behind() === undefined && (configs === undefined || history.latest === undefined || configs.version === history.latest.version)
  }

  /** Catches up until this node is behind no member it hears and knows its partitions'
   * configuration versions (caughtUp), for at most `timeoutMs` (a joining node, before it is ready:
   * it places nothing until it applied the cluster's versions). Returns whether it caught up; a
   * failed try is tried again (every ROSTER_FOLLOW_MS) within the time. A follower stopped
   * meanwhile (the node is stopping) gives up at once: false. */
  async catchUpBefore (timeoutMs: number, now: () => number = Date.now): Promise<boolean> {
    const until = now() + timeoutMs
    for (;;) {
      if (this.#stopped) return false
      if (this.caughtUp()) return true
      try {
        const newest = this.behind()
        if (newest !== undefined) {
          const via = this.#opts.members().find((m) => m.status !== 'down' && m.rosterVersion === newest)
          await this.#opts.service.catchUp(this.#opts.history.latest === undefined ? via?.peerId : undefined)
          this.stats.caughtUp++
        }
        if (this.behind() === undefined) await this.#adoptConfigs(this.#named())
      } catch (err) {
        this.stats.failed++
        this.#opts.log.debug({ err }, `roster versions: a catch-up failed (${(err as Error).message})`)
      }
      if (this.caughtUp()) return true
      if (now() >= until || this.#stopped) return false
      // (a timer that holds no stopping process open: the node's stop ends the wait above)
      await new Promise((resolve) => { setTimeout(resolve, Math.min(this.#opts.intervalMs ?? ROSTER_FOLLOW_MS, Math.max(0, until - now()))).unref() })
    }
  }

  /** The members not down whose records name a roster version, the newest first. */
  #named (): VersionedMember[] {
    return this.#opts.members().filter((m) => m.status !== 'down' && m.rosterVersion !== undefined)
      .sort((a, b) => (b.rosterVersion ?? 0) - (a.rosterVersion ?? 0))
  }

  /** A node that skipped versions takes its partitions' configuration versions from a member at
   * the version it applied (one at a time, the next step tries the next member). */
  async #adoptConfigs (named: readonly VersionedMember[]): Promise<void> {
    const { configs, history, service } = this.#opts
    const at = history.latest?.version
    if (configs === undefined || at === undefined || configs.version === at) return
    const same = named.filter((m) => m.rosterVersion === at)
    const peer = same[this.#configsTurn++ % Math.max(1, same.length)]
    if (peer === undefined) return
    if (configs.adopt(await service.configsOf(peer.peerId), history.latest?.version)) {
      this.stats.configsAdopted++
      this.#opts.log.info({ version: at, from: peer.peerId }, `roster versions: the partitions' configuration versions at version ${at} taken from ${peer.peerId}`)
    }
  }

  /** One step: catch up, form, or (as the keeper's node) propose what differs. */
  async step (): Promise<void> {
    const { history, service, self } = this.#opts
    const latest = history.latest
    const named = this.#named()
    if (latest === undefined) {
      const via = named[0]
      if (via !== undefined) {
        await service.catchUp(via.peerId)
        this.stats.caughtUp++
      } else if (this.#opts.forms()) {
        // with every storage node its roster knows (placement then stays what it was), itself among them
        const members = formingMembers(this.#opts.roster, self, this.#opts.capacity)
        await service.form(members)
        this.stats.formed++
        this.#opts.log.info({ version: 1, members: members.length }, `roster versions: formed version 1 with ${members.length} storage node${members.length === 1 ? '' : 's'} (this node is the one the cluster started with)`)
      }
      return
    }
    if ((named[0]?.rosterVersion ?? 0) > latest.version || this.#heard > latest.version) {
      await service.catchUp()
      this.stats.caughtUp++
      // (a version a replica named that the keeper's journal does not reach is not asked for again
      // until another refusal names it)
      this.#heard = 0
    }
    // (the keeper's node proposes first: a member that does not answer for configuration versions
    // must not hold a change back)
    await this.#propose()
    try {
      await this.#adoptConfigs(named)
    } catch (err) {
      this.stats.failed++
      this.#opts.log.debug({ err }, `roster versions: configuration versions not taken from a member (${(err as Error).message}); the next step asks another`)
    }
  }

  /** As the keeper's node: the changes that make the latest version what this node hears, one at
   * a time (a change can move the keeper's place: the node it names goes on, once it caught up). */
  async #propose (): Promise<void> {
    const { history, service, self } = this.#opts
    for (let i = 0; i < CHANGES_PER_STEP && service.keeperNode() === self; i++) {
      const now = history.latest as RosterVersion
      const change = nextChange(this.#opts.roster, now)
      if (change === undefined) return
      const outcome = await service.propose(change)
      if (!outcome.ok) {
        this.stats.refused++
        this.#opts.log.debug({ change, why: outcome.why }, `roster versions: ${change.kind} not made (${outcome.why}); looked at again next step`)
        return
      }
      this.stats.proposed++
      this.#opts.log.info({ version: outcome.version.version, change }, `roster versions: version ${outcome.version.version} made (${change.kind}${'peerId' in change ? ` ${change.peerId}` : ''})`)
    }
  }
}
