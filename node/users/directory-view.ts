import { DIRECTORY_CHANGES_PAGE, TOKEN_HASH_PATTERN, USERS, USER_DIRECTORY_KEY } from '../../actors/index.ts'
import type { ActorSystem, DirectoryChange, DirectoryChanges, UserSummary } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import { PeriodicService, ServiceFailures } from '../services/index.ts'
import { CHANGES_ASK_MS, DIRECTORY_REFRESH_MS } from './constants.ts'
import { SortedNames } from './sorted-names.ts'


export interface DirectoryViewOptions {
  readonly system: ActorSystem
  /** @default DIRECTORY_REFRESH_MS */
  readonly refreshMs?: number
  readonly log: { debug (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  /** Where a failed refresh is counted (`plexi_service_failures_total{service="directory-view"}`):
   * the node's one ServiceFailures. @default a ServiceFailures of its own */
  readonly failures?: ServiceFailures
}

/** A user as this node's copy holds them; `createdAt` undefined: a directory of an older version
 * sent the change without its time. */
interface CopiedUser { readonly tokenHash: string, readonly createdAt: number | undefined }

/**
 * This node's own copy of the user directory (token hash → user, and each user's time), kept
 * current by asking the directory what changed since the last seq it saw, every `refreshMs`.
 * Authentication reads only this copy once it is loaded, so no request depends on the node that
 * owns the directory being up: while it is down or moving, users keep logging in everywhere, and
 * changes resume when it is back. The admin API's list of users reads it too (`page`), by name
 * in pages, whatever the number of users. A user added or removed elsewhere shows here within
 * `refreshMs` (plus one ask); on the node that added or removed it, at once (`note`, `forget`).
 */
export class DirectoryView {
  readonly #opts: DirectoryViewOptions
  readonly #byToken = new Map<string, string>()
  readonly #users = new Map<string, CopiedUser>()
  readonly #sorted = new SortedNames(() => this.#users.keys())
  /** Users whose time the copy does not know: while there are any, `page` leaves the list to the
   * directory. */
  #undated = 0
  #seq = 0
  /** Bumped at every change of the copy: the same version, the same pages. */
  #version = 0
  /** The last page listed, answered again while the copy has not changed (a page of 100 built
   * for each read bound a burst of reads to a third of a bare route). */
  #lastPage: { readonly after: string | undefined, readonly limit: number, readonly version: number, readonly page: { users: UserSummary[], more: boolean } } | undefined
  #loaded = false
  #stopped = false
  #refreshing: Promise<void> | undefined
  readonly #loadedWaiters = new Set<() => void>()
  readonly #service: PeriodicService

  constructor (opts: DirectoryViewOptions) {
    this.#opts = opts
    const { log } = opts
    // a supervised loop: the next refresh refreshMs after the last ended (a directory that cannot
    // be asked is no failure of it: refresh() keeps the copy and says so at debug)
    this.#service = new PeriodicService({
      name: 'directory-view',
      run: async () => { await this.refresh() },
      intervalMs: opts.refreshMs ?? DIRECTORY_REFRESH_MS,
      runAtStart: true,
      failures: opts.failures ?? new ServiceFailures(),
      log: { info: (obj, msg) => { log.debug(obj, msg) }, warn: (obj, msg) => { log.warn(obj, msg) }, debug: (obj, msg) => { log.debug(obj, msg) } }
    })
  }

  /** Whether the copy has caught up with the directory once (before: ask the directory). */
  get loaded (): boolean { return this.#loaded }
  /** The directory seq this copy has applied. */
  get seq (): number { return this.#seq }
  get size (): number { return this.#byToken.size }

  /** The user of a token hash, null for none; undefined while the copy is not loaded. */
  lookup (tokenHash: string): string | null | undefined {
    if (!this.#loaded) return undefined
    return this.#byToken.get(tokenHash) ?? null
  }

  /** A user this node added: usable and listed here now, not at the next refresh. */
  note (name: string, tokenHash: string, createdAt: number | undefined): void {
    this.forget(name)
    this.#version++
    this.#byToken.set(tokenHash, name)
    this.#users.set(name, { tokenHash, createdAt })
    if (createdAt === undefined) this.#undated++
    this.#sorted.add(name)
  }

  /** A user this node removed: gone from the copy now, not at the next refresh. */
  forget (name: string): void {
    const user = this.#users.get(name)
    if (user === undefined) return
    this.#version++
    this.#byToken.delete(user.tokenHash)
    this.#users.delete(name)
    if (user.createdAt === undefined) this.#undated--
    this.#sorted.delete(name)
  }

  /** The users after `after` by name (from the first when undefined), at most `limit`, and whether
   * more follow; undefined while the copy cannot say (not loaded yet, or holding users whose time
   * an older directory did not send): then the directory answers. The same page object, frozen,
   * while the copy has not changed. */
  page (after: string | undefined, limit: number): { users: UserSummary[], more: boolean } | undefined {
    if (!this.#loaded || this.#undated > 0) return undefined
    const last = this.#lastPage
    if (last !== undefined && last.version === this.#version && last.after === after && last.limit === limit) return last.page
    const { names, more } = this.#sorted.after(after, limit)
    // frozen: the same object goes to every reader until the copy changes, so none may change it
    const page = Object.freeze({ users: Object.freeze(names.map((name) => Object.freeze({ name, createdAt: this.#users.get(name)?.createdAt ?? 0 }))) as UserSummary[], more })
    this.#lastPage = { after, limit, version: this.#version, page }
    return page
  }

  /** Starts refreshing (the first refresh at once; idempotent; a stopped view does not start
   * again). */
  start (): void {
    this.#service.start()
  }

  /** Stops refreshing and wakes whoever waits for the copy to load; resolves once a refresh in
   * progress has ended. */
  async stop (): Promise<void> {
    this.#stopped = true
    for (const wake of this.#loadedWaiters) wake()
    await this.#service.stop()
  }

  /** Resolves once the copy is loaded (or the view stopped). */
  whenLoaded (): Promise<void> {
    if (this.#loaded || this.#stopped) return Promise.resolve()
    return new Promise((resolve) => { this.#loadedWaiters.add(resolve) })
  }

  /** Applies every change after the last seq seen, page by page. Never rejects: a directory that
   * cannot be asked now leaves the copy as it is (still serving) until the next refresh. */
  refresh (): Promise<void> {
    this.#refreshing ??= this.#pull().finally(() => { this.#refreshing = undefined })
    return this.#refreshing
  }

  async #pull (): Promise<void> {
    const directory = this.#opts.system.entity(USERS, USER_DIRECTORY_KEY)
    try {
      for (;;) {
        const after = this.#seq
        const page = checkChanges(await directory.ask<unknown>((replyTo) => ({ type: 'changes', after, limit: DIRECTORY_CHANGES_PAGE, replyTo }), { timeout: CHANGES_ASK_MS }))
        if (page.head < after) {
          // an answer from an activation that is behind this copy (one being replaced): keep the
          // copy, ask again at the next refresh
          this.#opts.log.warn({ head: page.head, seq: after }, `user directory answered with head ${page.head}, behind this node's copy at ${after}; keeping the copy`)
          return
        }
        for (const change of page.changes) this.#apply(change)
        if (this.#seq >= page.head) break
        if (page.changes.length === 0) {
          // the directory says it has more than it sent: not complete, so not loaded; next refresh
          this.#opts.log.warn({ head: page.head, seq: this.#seq }, `user directory sent no changes after ${this.#seq} though its head is ${page.head}; asking again at the next refresh`)
          return
        }
      }
      if (!this.#loaded) {
        this.#loaded = true
        for (const wake of this.#loadedWaiters) wake()
        this.#loadedWaiters.clear()
      }
    } catch (err) {
      this.#opts.log.debug({ err }, `user directory not reachable for its changes (${describe(err)}); authenticating from this node's copy (seq ${this.#seq}) meanwhile`)
    }
  }

  #apply (change: DirectoryChange): void {
    if (change.seq <= this.#seq) return
    if (change.type === 'user-added') {
      this.note(change.name, change.tokenHash, change.ts)
    } else {
      this.forget(change.name)
    }
    this.#seq = change.seq
  }
}

/** A page of changes as the directory (perhaps on another node) sent it, checked before use:
 * anything else fails the refresh (the copy stays as it is). */
function checkChanges (value: unknown): DirectoryChanges {
  const v = value as { head?: unknown, changes?: unknown } | null
  const ok = v !== null && typeof v === 'object' && Number.isSafeInteger(v.head) && Array.isArray(v.changes) && v.changes.length <= DIRECTORY_CHANGES_PAGE &&
    v.changes.every((c: { seq?: unknown, type?: unknown, name?: unknown, tokenHash?: unknown, ts?: unknown } | null) => c !== null && typeof c === 'object' &&
      Number.isSafeInteger(c.seq) && typeof c.name === 'string' &&
      (c.type === 'user-removed' || (c.type === 'user-added' && typeof c.tokenHash === 'string' && TOKEN_HASH_PATTERN.test(c.tokenHash) &&
        (c.ts === undefined || Number.isSafeInteger(c.ts)))))
  if (!ok) throw new Error('the user directory answered with something that is not a page of changes')
  return v as DirectoryChanges
}
