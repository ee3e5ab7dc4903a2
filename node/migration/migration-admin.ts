import type { ActorSystem } from '../../actors/index.ts'
import { clip, describe } from '../../protocols/index.ts'
import type { Job } from '../../protocols/index.ts'
import type { Jobs } from '../jobs/index.ts'
import { MEMBER_SETTLE_MAX_MS, UnknownPeerError } from '../mesh/index.ts'
import { LeaveRefusedError, MoveRefusedError } from './errors.ts'
import { MIGRATION_PATH, checkLeaveStatus, checkMoveResult } from './migration-protocol.ts'
import type { LeaveMode, LeaveStatus, MigrationMsg } from './migration-protocol.ts'
import { askAgainIfLinkBroke } from './ask-again.ts'
import { LEAVE_ASK_MS, LEAVE_MISSES, LEAVE_POLL_MS, SETTLE_WAIT_MS } from './constants.ts'
import { migrateAskMs } from './move-bounds.ts'

export interface MigrationAdminOptions {
  readonly system: ActorSystem
  readonly jobs: Jobs
  /** The other members as this node sees them now (`incarnation`: which process of the member
   * the record is from; a restart makes a new one). */
  readonly members: () => ReadonlyArray<{ readonly peerId: string, readonly status: string, readonly incarnation?: number }>
  /** Whether `peer` owns entities of `role` in this node's view, will once it settled, or neither
   * (node/mesh Cluster.candidacy). */
  readonly candidacy: (peer: string, role: string) => 'candidate' | 'settling' | 'no'
  /** Resolves true once `peer` owns entities of `role` in this node's view, false after `ms`. */
  readonly awaitCandidate: (peer: string, role: string, ms: number) => Promise<boolean>
  /** The move bounds (config migration-timeout, and the interrupt's grace). */
  readonly busyMs: number
  readonly graceMs: number
}

/**
 * The admin's moves, each a job on the node that serves the request: an entity migrated to a node
 * of the admin's choice (`migrate`), and a member drained or decommissioned (`leave`), followed
 * until it is gone.
 */
export class MigrationAdmin {
  readonly #opts: MigrationAdminOptions

  constructor (opts: MigrationAdminOptions) {
    this.#opts = opts
  }

  /** Moves `type/key` to `to` (a member up that holds the entity's role): a `migrate` job. */
  migrate (type: string, role: string, key: string, to: string): Job {
    const { system, jobs } = this.#opts
    const entity = `${type}/${key}`
    this.#checkPeer(to)
    const candidacy = this.#opts.candidacy(to, role)
    if (candidacy === 'no') throw new MoveRefusedError(entity, `${to} does not take ${role} entities (it lacks the ${role} role, or it is draining); see plexi admin nodes`)
    return jobs.start('migrate', clip(entity, 256), async (control) => {
      if (candidacy === 'settling') {
        // it has just come up (a rolling restart): it takes entities once it settled
        control.progress({ total: 1, message: `waiting for ${to} to settle (a member takes entities once it has been up the settle time, at most ${MEMBER_SETTLE_MAX_MS / 1000} s)` })
        if (!await this.#opts.awaitCandidate(to, role, SETTLE_WAIT_MS)) {
          throw new MoveRefusedError(entity, `${to} did not become a ${role} member within ${SETTLE_WAIT_MS} ms of the request (it went down, left or lost the role, or it is not heard); see plexi admin nodes`)
        }
      }
      control.progress({ total: 1, message: `moving ${clip(entity, 80)} to ${to}` })
      const ask = async (): Promise<unknown> => await system.actorAt<MigrationMsg>({ node: to, path: MIGRATION_PATH })
        .ask<unknown>((replyTo) => ({ type: 'migrate', entityType: type, key, replyTo }), { timeout: migrateAskMs(this.#opts.busyMs, this.#opts.graceMs) })
      const up = (): boolean => to === system.node || this.#opts.members().some((m) => m.peerId === to && (m.status === 'up' || m.status === 'suspect'))
      const result = checkMoveResult(await askAgainIfLinkBroke(ask, up, (err) => {
        control.progress({ message: `moving ${clip(entity, 80)} to ${to}: asking again (${describe(err)})` })
      }))
      switch (result.outcome) {
        case 'moved':
          control.progress({ done: 1 })
          // a move whose old owner never saw the hand-off taken measured no pause: why, instead
          return `${clip(entity, 80)} moved live from ${result.from} to ${to} (${result.why ?? `its messages waited ${Math.round(result.pauseMs)} ms`})`
        case 'cold':
          control.progress({ done: 1 })
          return `${clip(entity, 80)} moved to ${to} cold from ${result.from} (${result.why ?? 'no reason given'}); ${to} recovered it from its journal`
        case 'not-active':
          control.progress({ done: 1 })
          return `${clip(entity, 80)}: nothing to move: ${result.why ?? 'it is not active'}`
        case 'failed':
          throw new Error(`${clip(entity, 80)} did not move to ${to}: ${result.why ?? 'no reason given'} (its messages go on to its owner, which recovers it from its journal)`)
      }
    })
  }

  /**
   * Drains or decommissions `peer` (another member): it starts leaving at once (a refusal, such as
   * the only member with a role, is thrown here), and a job follows it until it is gone.
   */
  async leave (peer: string, mode: LeaveMode): Promise<Job> {
    const { system, jobs } = this.#opts
    if (peer === system.node) {
      throw new LeaveRefusedError(`${peer} is the node serving this request: it would exit before its ${mode} job ends; ask another member's admin endpoint (plexi admin ${mode} ${peer} --admin-addr OTHER), or send the process SIGTERM to drain it`)
    }
    this.#checkPeer(peer)
    // the process asked to leave: once a newer one of the same member is heard (a supervisor
    // restarted it after its drain), the one that was asked is gone
    const incarnation = this.#opts.members().find((m) => m.peerId === peer)?.incarnation
    const asked = (m: { readonly peerId: string, readonly incarnation?: number }): boolean => m.peerId === peer && (incarnation === undefined || m.incarnation === incarnation)
    const first = await this.#ask(peer, mode)
    return jobs.start(mode, peer, async (control) => {
      let last: LeaveStatus = first
      const report = (s: LeaveStatus): void => {
        const done = Math.max(0, Math.min(s.total, s.total - s.entities))
        control.progress({
          total: s.total,
          done,
          failed: s.moves.failed ?? 0,
          left: s.left,
          message: s.state === 'handing-off' ? `handing its storage partitions off (${s.total} entities moved)` : s.state === 'stopping' ? `stopping (${done} of ${s.total} entities moved)` : `moving entities: ${done} of ${s.total}`
        })
      }
      report(first)
      let misses = 0
      for (;;) {
        if (control.signal.aborted) return `stopped following ${peer}: it goes on leaving (a ${mode} is not undone; start it again to bring it back)`
        await new Promise((resolve) => setTimeout(resolve, LEAVE_POLL_MS))
        const gone = !this.#opts.members().some((m) => asked(m) && m.status !== 'down')
        if (gone) break
        try {
          // where it stands, never a new leave: a process restarted on its identity says it is not leaving
          last = await this.#ask(peer, mode, true)
          misses = 0
          report(last)
        } catch (err) {
          if ((err as Error | undefined)?.name === 'NotLeavingError') break
          // it exited (its link closed; failure detection calls it suspect, then down) or is busy
          // moving: only one seen up again without answering has stopped for another reason
          if (++misses >= LEAVE_MISSES && this.#opts.members().some((m) => asked(m) && (m.status === 'up' || m.status === 'joining'))) {
            throw new Error(`${peer} stopped answering while it was not draining (${describe(err)}): it may have crashed; see plexi admin nodes`)
          }
        }
      }
      control.progress({ done: last.total, left: [] })
      const outcomes = Object.entries(last.moves).map(([o, n]) => `${n} ${o}`).join(', ')
      return `${peer} ${mode === 'decommission' ? 'decommissioned: it left the cluster for good' : 'drained and exited'}; ${last.total} entities moved${outcomes.length > 0 ? ` (${outcomes}, as last reported)` : ''}`
    })
  }

  #checkPeer (peer: string): void {
    if (peer === this.#opts.system.node) return
    if (!this.#opts.members().some((m) => m.peerId === peer && (m.status === 'up' || m.status === 'suspect'))) {
      throw new UnknownPeerError(`no member ${clip(peer, 128)} is up; see plexi admin nodes`)
    }
  }

  async #ask (peer: string, mode: LeaveMode, follow = false): Promise<LeaveStatus> {
    return checkLeaveStatus(await this.#opts.system.actorAt<MigrationMsg>({ node: peer, path: MIGRATION_PATH })
      .ask<unknown>((replyTo) => ({ type: 'leave', mode, ...(follow && { follow }), replyTo }), { timeout: LEAVE_ASK_MS }))
  }
}
