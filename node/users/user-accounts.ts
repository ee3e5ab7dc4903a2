import { InvalidNameError, USERS, USER_DIRECTORY_KEY } from '../../actors/index.ts'
import type { ActorSystem, UserSummary } from '../../actors/index.ts'
import { CLIENT_ID_RULE, USER_NAME_RULE, describe, isClientId, isUserName } from '../../protocols/index.ts'
import { hashToken, newToken } from '../identity/index.ts'
import { AUTH_CACHE_MAX, AUTH_CACHE_MS, DIRECTORY_ASK_MS, MAX_TOKEN_LENGTH } from './constants.ts'
import type { DirectoryView } from './directory-view.ts'
import { DirectoryUnavailableError } from './errors.ts'


/**
 * Users and their bearer tokens, over the `users/all` directory entity. A token is shown once,
 * at creation; only its SHA-256 is stored.
 */
export class UserAccounts {
  readonly #system: ActorSystem
  readonly #view: DirectoryView | undefined
  readonly #cache = new Map<string, { user: string | null, expires: number }>()

  /** `view`: this node's copy of the tokens; authentication reads it once it is loaded, so that no
   * login depends on the node owning the directory. */
  constructor (system: ActorSystem, view?: DirectoryView) {
    this.#system = system
    this.#view = view
  }

  /**
   * Adds user `name` with a new token. `clientId` makes it safe to retry when an answer is lost (a
   * timeout, a connection that dropped): a try with the client id of the add that stored the user
   * answers with the user again and a new token, and the token the lost answer carried stops working.
   * Without one, a second add of the name is refused (UserExistsError).
   */
  async add (name: string, clientId?: string): Promise<UserSummary & { token: string }> {
    checkName(name)
    if (clientId !== undefined && !isClientId(clientId)) throw new InvalidNameError('client id', clientId, CLIENT_ID_RULE)
    const token = newToken('plxu')
    const tokenHash = hashToken(token)
    const summary = await this.#directory().ask<UserSummary>((replyTo) => ({ type: 'add', name, tokenHash, ...(clientId !== undefined && { clientId }), replyTo }))
    this.#cache.delete(tokenHash)
    this.#view?.note(name, tokenHash, summary.createdAt)
    return { ...summary, token }
  }

  /** Removes the user; their token stops working at once on this node. */
  async remove (name: string): Promise<UserSummary> {
    checkName(name)
    const removed = await this.#directory().ask<UserSummary>((replyTo) => ({ type: 'remove', name, replyTo }))
    for (const [hash, entry] of this.#cache) if (entry.user === name) this.#cache.delete(hash)
    this.#view?.forget(name)
    return removed
  }

  /** Every user, by name. */
  async list (): Promise<UserSummary[]> {
    return (await this.page({})).users
  }

  /**
   * The users after `after` by name (from the first when absent), at most `limit` (every one when
   * absent), and whether more follow. Read from this node's copy of the directory once it is
   * loaded (no ask: the same cost at 10 or 100,000 users); users added or removed through this
   * node are in it at once, those through another within the copy's refresh (DIRECTORY_REFRESH_MS).
   * Before the copy is loaded, the directory answers.
   */
  async page (opts: { readonly after?: string | undefined, readonly limit?: number | undefined }): Promise<{ users: UserSummary[], more: boolean }> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY
    const known = this.#view?.page(opts.after, limit)
    if (known !== undefined) return known
    const all = await this.#directory().ask<UserSummary[]>((replyTo) => ({ type: 'list', replyTo }))
    // (the directory's order is the copy's: SortedNames)
    const from = opts.after === undefined ? 0 : all.findIndex((u) => u.name.localeCompare(opts.after as string) > 0)
    const start = from < 0 ? all.length : from
    return { users: all.slice(start, start + limit), more: start + limit < all.length }
  }

  get (name: string): Promise<UserSummary | null> {
    checkName(name)
    return this.#directory().ask<UserSummary | null>((replyTo) => ({ type: 'get', name, replyTo }))
  }

  /** The user a token belongs to, or undefined for an unknown, revoked or malformed token. */
  async authenticate (token: string): Promise<string | undefined> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined
    const tokenHash = hashToken(token)
    const known = this.#view?.lookup(tokenHash)
    if (typeof known === 'string') return known
    const now = performance.now()
    if (known === null) {
      // not in this node's copy: a user added elsewhere since the last refresh, or a bad token.
      // The directory says which; when it cannot be asked the caller is told to retry (a valid
      // token must never read as revoked). Only "unknown" is cached, so a removal is never masked.
      const miss = this.#cache.get(tokenHash)
      if (miss !== undefined && miss.user === null && miss.expires > now) return undefined
      const user = await this.#directory().ask<string | null>((replyTo) => ({ type: 'authenticate', tokenHash, replyTo }), { timeout: DIRECTORY_ASK_MS }).catch((err: unknown) => {
        throw new DirectoryUnavailableError(`this token is not in this node's copy of the user directory, and the directory cannot be asked now (${describe(err)}); retry`, { cause: err })
      })
      if (user !== null) {
        // a user this copy has not heard of yet: it catches up now, not at its next refresh (until
        // then each of the user's requests asks the directory, which scans for the token)
        void this.#view?.refresh()
        return user
      }
      this.#remember(tokenHash, null, now)
      return undefined
    }
    const cached = this.#cache.get(tokenHash)
    if (cached !== undefined && cached.expires > now) return cached.user ?? undefined
    // this node's copy is not loaded yet (just started): the directory answers
    const user = await this.#directory().ask<string | null>((replyTo) => ({ type: 'authenticate', tokenHash, replyTo }))
    this.#remember(tokenHash, user, now)
    return user ?? undefined
  }

  #remember (tokenHash: string, user: string | null, now: number): void {
    this.#cache.delete(tokenHash)
    this.#cache.set(tokenHash, { user, expires: now + AUTH_CACHE_MS })
    if (this.#cache.size > AUTH_CACHE_MAX) {
      const oldest = this.#cache.keys().next()
      if (oldest.done !== true) this.#cache.delete(oldest.value)
    }
  }

  #directory () {
    return this.#system.entity(USERS, USER_DIRECTORY_KEY)
  }
}

function checkName (name: string): void {
  if (!isUserName(name)) throw new InvalidNameError('user name', name, USER_NAME_RULE)
}
