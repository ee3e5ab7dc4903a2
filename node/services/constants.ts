/** The first wait after a failed run of a background service: long enough that a failure caused
 * by a peer restarting is not met again at once, short enough that a passing fault costs little. */
export const SERVICE_BACKOFF_FIRST_MS = 1_000

/** The longest wait after failed runs (doubling from SERVICE_BACKOFF_FIRST_MS): a service whose
 * every run fails still tries once a minute, and is not a log flood or a hot loop. */
export const SERVICE_BACKOFF_MAX_MS = 60_000

/** How long stop() waits for a run in progress to end before it returns anyway: a part's stop is
 * bounded (node/lifecycle.ts gives each part 10 s) and a run that ignores its abort signal must
 * not hold the node's exit. */
export const SERVICE_STOP_WAIT_MS = 5_000
