import { RETENTION, RETENTION_POLICY_KEY, ROOM, ROOMS, ROOM_DIRECTORY_KEY } from '../../actors/index.ts'
import type { ActorSystem, RetentionAck, RetentionSettings, RoomRetention, RoomSummary } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import type { Job } from '../../protocols/index.ts'
import type { JobControl, Jobs } from '../jobs/index.ts'
import { RETENTION_ROOM_ASK_MS, ROOM_CONCURRENCY } from './constants.ts'
import { compactEverywhere } from './store-compaction.ts'

export interface RetentionRunnerOptions {
  readonly system: ActorSystem
  readonly jobs: Jobs
  /** The cluster's default retention (config retention-days, retention-posts); undefined: keep
   * forever. */
  readonly defaults: () => RoomRetention | undefined
  /** The members holding replicas: each compacts the rooms it trimmed. */
  readonly storageMembers: () => readonly string[]
}

/** The retention a room keeps: its own setting, else the cluster's default; undefined: all. */
export function retentionOf (room: string, settings: RetentionSettings, defaults: RoomRetention | undefined): RoomRetention | undefined {
  const own = Object.hasOwn(settings, room) ? settings[room] : undefined
  if (own === 'forever') return undefined
  return own ?? defaults
}

/**
 * Applies retention, as a `retention` job: every room of the directory keeps what its setting
 * (or the cluster's default) says and drops the rest on every replica (the room computes its cut
 * and trims its journal), then the storage members compact what was dropped. A room that fails is
 * listed and the job fails at its end; running it again finishes it.
 */
export class RetentionRunner {
  readonly #opts: RetentionRunnerOptions

  constructor (opts: RetentionRunnerOptions) {
    this.#opts = opts
  }

  /** The cluster's default retention (undefined: keep forever). */
  readonly defaults = (): RoomRetention | undefined => this.#opts.defaults()

  start (): Job {
    return this.#opts.jobs.start('retention', null, async (control) => await this.run(control))
  }

  async run (control: JobControl): Promise<string> {
    const { system } = this.#opts
    const [rooms, settings] = await Promise.all([
      system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo })),
      system.entity(RETENTION, RETENTION_POLICY_KEY).ask<RetentionSettings>((replyTo) => ({ type: 'get', replyTo }))
    ])
    const defaults = this.#opts.defaults()
    const todo = rooms.map((r) => ({ room: r.name, retention: retentionOf(r.name, settings, defaults) }))
      .filter((t): t is { room: string, retention: RoomRetention } => t.retention !== undefined)
    control.progress({ total: todo.length, done: 0, message: `applying retention to ${todo.length} of ${rooms.length} rooms` })
    const failures: Array<{ item: string, why: string }> = []
    const trimmed: string[] = []
    let dropped = 0
    let next = 0
    let done = 0
    const now = Date.now()
    const worker = async (): Promise<void> => {
      while (next < todo.length && !control.signal.aborted) {
        const { room, retention } = todo[next++] as { room: string, retention: RoomRetention }
        try {
          const ack = await system.entity(ROOM, room).ask<RetentionAck>((replyTo) => ({ type: 'apply-retention', retention, now, replyTo }), { timeout: RETENTION_ROOM_ASK_MS })
          dropped += ack.dropped
          if (ack.dropped > 0) trimmed.push(`${ROOM.type}/${room}`)
        } catch (err) {
          failures.push({ item: `room/${room}`, why: describe(err) })
        }
        control.progress({ done: ++done, failed: failures.length, left: failures })
      }
    }
    await Promise.all(Array.from({ length: Math.min(ROOM_CONCURRENCY, todo.length) }, worker))
    control.signal.throwIfAborted()
    const uncompacted: Array<{ item: string, why: string }> = []
    if (trimmed.length > 0) {
      control.progress({ message: `compacting ${trimmed.length} rooms on the storage nodes` })
      await compactEverywhere(system, this.#opts.storageMembers(), trimmed, uncompacted)
    }
    control.progress({ left: [...failures, ...uncompacted] })
    const summary = `retention: ${dropped} records dropped from ${trimmed.length} of ${todo.length} rooms with a retention (${rooms.length} rooms)`
    if (failures.length > 0) throw new Error(`${summary}; ${failures.length} rooms failed (run it again): ${failures.slice(0, 3).map((f) => `${f.item}: ${f.why}`).join('; ')}`)
    return summary
  }
}
