import type { ServiceLog } from '../services/index.ts'

/** What the backup parts log through (pino's shape; `debug` where the logger has it). */
export interface BackupLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  debug? (obj: object, msg: string): void
}

/** `log` as a PeriodicService logs (lines go nowhere without one; debug lines nowhere without a
 * debug level). */
export function serviceLogOf (log: BackupLog | undefined): ServiceLog {
  return {
    info: (obj, msg) => { log?.info(obj, msg) },
    warn: (obj, msg) => { log?.warn(obj, msg) },
    debug: (obj, msg) => { log?.debug?.(obj, msg) }
  }
}
