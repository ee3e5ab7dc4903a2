/** Finished jobs a node remembers by default (running ones are always kept): enough to look back
 * over a day of drains and repairs, few enough that every member's list fits one answer. */
export const DEFAULT_MAX_JOBS = 100

/** How long a cluster-wide listing waits for each member (as the other admin listings). */
export const JOBS_ASK_MS = 3_000

/** Most jobs one member's answer may hold: its finished ones and a generous bound on running ones. */
export const MAX_JOBS_LISTED = 1_000
