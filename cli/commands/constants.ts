/** Limits and timings of the plexi commands themselves, each with why it is what it is (their
 * clients' are in cli/constants.ts). */

/** A second SIGTERM/SIGINT forces the exit only when it comes at least this long after the first:
 * one that comes with it is the same signal delivered twice (a terminal's Ctrl-C reaches both npm
 * and the node, and npm forwards it too). */
export const REPEAT_SIGNAL_MS = 1_000

/** The hosts a certificate may name at most (a lab's names and addresses, not a fleet's). */
export const MAX_CERT_HOSTS = 100
