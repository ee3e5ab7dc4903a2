import type { ServiceLog } from '../services/index.ts'

/** A log with at least a warn level: what the replication parts are given (pino's has them all). */
export interface PartLog {
  warn (obj: object, msg: string): void
  info? (obj: object, msg: string): void
  debug? (obj: object, msg: string): void
}

/**
 * A part's log as its background loop (PeriodicService) logs through it: each level the part's log
 * has, and nothing for one it lacks (a loop's first failure in a streak is said at warn, which every
 * part's log has; the streak's end at info and the failures after the first at debug).
 */
export function serviceLog (log: PartLog): ServiceLog {
  return {
    info: (obj, msg) => { log.info?.(obj, msg) },
    warn: (obj, msg) => { log.warn(obj, msg) },
    debug: (obj, msg) => { log.debug?.(obj, msg) }
  }
}
