import { PLUGIN_DRAIN_MS, PLUGIN_PING_INTERVAL_MS, PLUGIN_PING_TIMEOUT_MS, PLUGIN_RESTART_FIRST_MS, PLUGIN_RESTART_MAX_MS, PLUGIN_STABLE_MS, PLUGIN_START_TIMEOUT_MS, PLUGIN_STOP_GRACE_MS } from './constants.ts'

/** The timings a plugin's supervision runs on (constants.ts says why each default is what it is);
 * tests shorten them, a node never does. */
export interface SupervisorTimings {
  readonly startTimeoutMs: number
  readonly pingIntervalMs: number
  readonly pingTimeoutMs: number
  readonly restartFirstMs: number
  readonly restartMaxMs: number
  readonly stableMs: number
  readonly drainMs: number
  readonly stopGraceMs: number
}

export const DEFAULT_SUPERVISOR_TIMINGS: SupervisorTimings = {
  startTimeoutMs: PLUGIN_START_TIMEOUT_MS,
  pingIntervalMs: PLUGIN_PING_INTERVAL_MS,
  pingTimeoutMs: PLUGIN_PING_TIMEOUT_MS,
  restartFirstMs: PLUGIN_RESTART_FIRST_MS,
  restartMaxMs: PLUGIN_RESTART_MAX_MS,
  stableMs: PLUGIN_STABLE_MS,
  drainMs: PLUGIN_DRAIN_MS,
  stopGraceMs: PLUGIN_STOP_GRACE_MS
}
