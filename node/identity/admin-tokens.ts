import { rename, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hashToken, newToken } from './admin-token.ts'
import { MAX_ADMIN_TOKENS } from './constants.ts'
import { tooOpen } from './secret-file.ts'

/** What a named admin token may do: `read` (GET only), or `admin` (everything). */
export const TOKEN_SCOPES = ['read', 'admin'] as const
export type TokenScope = typeof TOKEN_SCOPES[number]

/** A token name: lower-case letters, digits, `-` and `_`, starting with a letter. */
export const TOKEN_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$'

/** The file of a node's named admin tokens, in its data dir (mode 0600). */
export const ADMIN_TOKENS_FILE = 'admin-tokens.json'

export interface AdminTokenEntry {
  readonly name: string
  readonly scope: TokenScope
  /** SHA-256 (hex) of the token: the token itself is shown once and never kept. */
  readonly tokenHash: string
  /** ms since the epoch */
  readonly createdAt: number
}

/** A named admin token exists already. */
export class AdminTokenExistsError extends Error {
  override readonly name = 'AdminTokenExistsError'
  readonly kind = 'conflict'
  constructor (name: string) {
    super(`an admin token named ${name} exists; remove it first (plexi admin tokens rm ${name}) or choose another name`)
  }
}

/** No named admin token of that name. */
export class UnknownAdminTokenError extends Error {
  override readonly name = 'UnknownAdminTokenError'
  readonly kind = 'not-found'
  constructor (name: string) {
    super(`no admin token named ${name}; see plexi admin tokens ls`)
  }
}

/** The node keeps as many named tokens as it may. */
export class AdminTokenLimitError extends Error {
  override readonly name = 'AdminTokenLimitError'
  readonly kind = 'conflict'
  constructor () {
    super(`this node keeps at most ${MAX_ADMIN_TOKENS} named admin tokens; remove one first`)
  }
}

/**
 * A node's named admin tokens besides its main admin token: each with a scope (`read`: it may only
 * read; `admin`: it may do everything the main token may), made and revoked through the admin API.
 * Kept as hashes in `<data-dir>/admin-tokens.json` (mode 0600, replaced whole on each change), like
 * the main token per node. A revoked token stops working at once.
 */
export class AdminTokens {
  readonly #path: string
  #entries: AdminTokenEntry[]
  /** token hash → entry */
  #byHash: Map<string, AdminTokenEntry>
  /** Changes run one at a time (each rewrites the file). */
  #writing: Promise<unknown> = Promise.resolve()

  private constructor (path: string, entries: AdminTokenEntry[]) {
    this.#path = path
    this.#entries = entries
    this.#byHash = new Map(entries.map((e) => [e.tokenHash, e]))
  }

  /** The tokens of the node whose data dir is `dataDir` (none when the file does not exist). A
   * file that is not one, or that group or others may read, refuses the start. */
  static async open (dataDir: string): Promise<AdminTokens> {
    const path = join(dataDir, ADMIN_TOKENS_FILE)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new AdminTokens(path, [])
      throw err
    }
    const open = await tooOpen(path)
    if (open !== undefined) throw new Error(open)
    return new AdminTokens(path, parseEntries(text, path))
  }

  /** The token named so and its scope, for a token presented (compared by hash). */
  match (token: string): AdminTokenEntry | undefined {
    return this.#byHash.get(hashToken(token))
  }

  list (): AdminTokenEntry[] {
    return [...this.#entries].sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Makes a token: returned this once, kept only as its hash. */
  async add (name: string, scope: TokenScope): Promise<{ entry: AdminTokenEntry, token: string }> {
    return await this.#change(async () => {
      if (this.#entries.some((e) => e.name === name)) throw new AdminTokenExistsError(name)
      if (this.#entries.length >= MAX_ADMIN_TOKENS) throw new AdminTokenLimitError()
      const token = newToken('plxa')
      const entry: AdminTokenEntry = { name, scope, tokenHash: hashToken(token), createdAt: Date.now() }
      await this.#save([...this.#entries, entry])
      return { entry, token }
    })
  }

  /** Revokes a token: it stops working at once. */
  async remove (name: string): Promise<AdminTokenEntry> {
    return await this.#change(async () => {
      const entry = this.#entries.find((e) => e.name === name)
      if (entry === undefined) throw new UnknownAdminTokenError(name)
      await this.#save(this.#entries.filter((e) => e !== entry))
      return entry
    })
  }

  async #change<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#writing.then(fn, fn)
    this.#writing = run.catch(() => undefined)
    return await run
  }

  /** Written to a new file and renamed over the old one: a crash leaves one or the other whole. */
  async #save (entries: AdminTokenEntry[]): Promise<void> {
    const next = `${this.#path}.next`
    await writeFile(next, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 })
    await rename(next, this.#path)
    this.#entries = entries
    this.#byHash = new Map(entries.map((e) => [e.tokenHash, e]))
  }
}

function parseEntries (text: string, path: string): AdminTokenEntry[] {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new Error(`${path} is not valid JSON: restore it, or delete it to revoke every named admin token`)
  }
  const name = new RegExp(TOKEN_NAME_PATTERN)
  if (!Array.isArray(raw) || !raw.every((e: Partial<AdminTokenEntry> | null) => typeof e === 'object' && e !== null &&
    typeof e.name === 'string' && name.test(e.name) && (TOKEN_SCOPES as readonly unknown[]).includes(e.scope) &&
    typeof e.tokenHash === 'string' && /^[0-9a-f]{64}$/.test(e.tokenHash) && typeof e.createdAt === 'number')) {
    throw new Error(`${path} is not a list of admin tokens: restore it, or delete it to revoke every named admin token`)
  }
  return raw as AdminTokenEntry[]
}
