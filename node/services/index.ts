/** Supervised background services: every loop of the node (anti-entropy, scrub, a hand-off,
 * audits, retention, stats) runs on one helper that counts, logs and backs off its failures. */
export { PeriodicService } from './periodic-service.ts'
export type { PeriodicServiceOptions, ServiceLog } from './periodic-service.ts'
export { ServiceFailures } from './service-failures.ts'
export { SERVICE_BACKOFF_FIRST_MS, SERVICE_BACKOFF_MAX_MS, SERVICE_STOP_WAIT_MS } from './constants.ts'
export { IncomingFiles } from './incoming-files.ts'
export type { IncomingFilesOptions } from './incoming-files.ts'
