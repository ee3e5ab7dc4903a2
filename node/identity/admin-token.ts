import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ADMIN_TOKEN_FILE } from '../constants.ts'
import { ADMIN_TOKEN_MIN_CHARS } from './constants.ts'
import { tooOpen } from './secret-file.ts'

/** The admin token's file cannot be used as it is (too open, or no token in it). */
export class AdminTokenFileError extends Error {
  override name = 'AdminTokenFileError'
}


export type AdminTokenSource = 'config' | 'file' | 'created'

/**
 * The admin token: the configured one (flag, PLEXI_ADMIN_TOKEN or the config file), else the one
 * in `<data-dir>/admin-token`, created with mode 0600 on first start.
 */
export async function resolveAdminToken (dataDir: string, configured: string | undefined):
Promise<{ token: string, source: AdminTokenSource, path: string }> {
  const path = join(dataDir, ADMIN_TOKEN_FILE)
  if (configured !== undefined) return { token: configured, source: 'config', path }
  try {
    const token = (await readFile(path, 'utf8')).trim()
    if (token.length < ADMIN_TOKEN_MIN_CHARS) throw new AdminTokenFileError(`${path} holds no usable token (at least ${ADMIN_TOKEN_MIN_CHARS} characters); delete it to get a new one`)
    // a token others may read is refused, as ssh refuses such a private key: the whole cluster's
    // admin is behind it
    const open = await tooOpen(path)
    if (open !== undefined) throw new AdminTokenFileError(open)
    return { token, source: 'file', path }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = newToken('plxa')
  await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' })
  return { token, source: 'created', path }
}

/** A random bearer token: a readable prefix and 256 random bits. */
export function newToken (prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

/** SHA-256 (hex) of a token: what is stored and compared, never the token itself. */
export function hashToken (token: string): string {
  // the one-shot hash: half the time of a Hash object made per call (every request checks a token)
  return hash('sha256', token)
}

/** Compares a presented token with the expected one in constant time (both are hashed first,
 * so their lengths never leak either). */
export function tokenMatches (presented: string, expected: string): boolean {
  return tokenMatcher(expected)(presented)
}

/** tokenMatches against one expected token, hashed once here rather than at every request (an
 * endpoint checks the same token thousands of times a second). */
export function tokenMatcher (expected: string): (presented: string) => boolean {
  const b = hash('sha256', expected, 'buffer')
  return (presented) => timingSafeEqual(hash('sha256', presented, 'buffer'), b)
}
