/**
 * Where an actor is in its life:
 * - starting: init runs; messages wait in the mailbox.
 * - running: messages are handled one at a time.
 * - suspended: it crashed or exited, or its supervisor is restarting its group; messages wait.
 * - stopping / stopped: stopping for good; new messages are dead letters.
 */
export type CellStatus = 'starting' | 'running' | 'suspended' | 'stopping' | 'stopped'

/** Stopping or stopped for good (undefined: there is no actor): it takes nothing more. */
export function isStopping (status: CellStatus | undefined): boolean {
  return status === 'stopping' || status === 'stopped'
}

/** Running or starting: it handles (or will handle) messages and supervises its children. */
export function isUp (status: CellStatus): boolean {
  return status === 'running' || status === 'starting'
}
