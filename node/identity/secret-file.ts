import { stat } from 'node:fs/promises'

/**
 * Why a secret file may not be used, as ssh says it of a private key that group or others may read
 * ("permissions 0644 on F are too open: chmod 600 F"), or undefined when only its owner may read it.
 * Every secret a node reads from a file (the cluster key, the backup key, the named admin tokens)
 * is checked so at start.
 */
export async function tooOpen (path: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined
  const mode = (await stat(path)).mode & 0o777
  return (mode & 0o077) === 0 ? undefined : permissionsTooOpen(path, mode)
}

/** The message for a secret file of `mode` that group or others may read. */
export function permissionsTooOpen (path: string, mode: number): string {
  return `permissions ${mode.toString(8).padStart(4, '0')} on ${path} are too open: chmod 600 ${path}`
}
