import type { Logger } from './logger.ts'
import type { MessageTrace } from './message-trace.ts'
import type { PendingAsks } from './pending-asks.ts'
import type { Refs } from './refs.ts'
import type { ReplyTo } from './reply-to.ts'
import type { SupervisorIntensityError } from './errors.ts'
import type { SystemStats } from './system-stats.ts'

/** What every cell of one actor system shares (kernel-internal). */
export interface Kernel {
  readonly node: string
  /** What behaviours reach beyond themselves (the system's refs, never the system). */
  readonly refs: Refs
  readonly asks: PendingAsks
  readonly stats: SystemStats
  readonly log: Logger
  readonly mailboxCapacity: number
  /** Keeps each message in the trace it was sent in (undefined: tracing off). */
  readonly trace: MessageTrace | undefined
  reply (to: ReplyTo<unknown>, outcome: { value: unknown } | { error: unknown }): void
  /** A child of the root exceeded the root's restart intensity and was stopped. */
  escalated (error: SupervisorIntensityError): void
}
