import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TOKENS_DIR } from '../node/constants.ts'
import { isUserName } from '../protocols/index.ts'
import { UsageError } from './cli-errors.ts'

/** Names the default user in the tokens dir; not a user name (those start with a letter). */
const DEFAULT_FILE = '.default'

/**
 * User tokens saved beside a node (`<data-dir>/tokens/<user>`, mode 0600 in a 0700 dir) by
 * `plexi admin users add`, and which of them chat and agent commands use when none is named: the
 * first user saved, or the one `users add --default` names.
 */
export class SavedTokens {
  readonly dir: string

  constructor (dataDir: string) {
    this.dir = join(dataDir, TOKENS_DIR)
  }

  path (user: string): string { return join(this.dir, user) }

  /** Saves the token; the first user saved here (or `asDefault`) becomes the default. Returns
   * whether this user is now the default. */
  async save (user: string, token: string, asDefault = false): Promise<boolean> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await writeSecret(this.path(user), token)
    if (!asDefault && await this.defaultUser() !== undefined) return false
    await writeSecret(join(this.dir, DEFAULT_FILE), user)
    return true
  }

  async read (user: string): Promise<string | undefined> { return await readSecret(this.path(user)) }

  /** Removes the user's saved token and, if it named them, the default; what was removed. */
  async remove (user: string): Promise<{ token: boolean, wasDefault: boolean }> {
    const wasDefault = await this.defaultUser() === user
    if (wasDefault) await rm(join(this.dir, DEFAULT_FILE), { force: true })
    const token = await this.read(user) !== undefined
    if (token) await rm(this.path(user), { force: true })
    return { token, wasDefault }
  }

  /** The default user, when there is one whose token is saved. */
  async defaultUser (): Promise<string | undefined> {
    const name = await readSecret(join(this.dir, DEFAULT_FILE))
    return name !== undefined && isUserName(name) && await this.read(name) !== undefined ? name : undefined
  }

  /** Users with a saved token, sorted. */
  async users (): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((name) => isUserName(name)).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  }
}

export async function readSecret (path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim()
    return text.length > 0 ? text : undefined
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'EACCES') throw new UsageError(`cannot read ${path}: permission denied`)
    throw err
  }
}

async function writeSecret (path: string, value: string): Promise<void> {
  await writeFile(path, `${value}\n`, { mode: 0o600 })
  await chmod(path, 0o600)
}
