import { PLUGIN_CATALOG, PLUGIN_CATALOG_KEY, isSuperseded } from '../../actors/index.ts'
import type { ActorSystem, InstallOutcome, MemberReport, PluginCatalogMsg, PluginCatalogView, PluginEntry, ReplyTo } from '../../actors/index.ts'
import type { PluginManifest } from '../../protocols/plugins/index.ts'
import { CATALOG_ASK_MS, CATALOG_SUPERSEDED_RESEND_MS } from './constants.ts'

/** What a new version is, as the catalog keeps it. */
export interface NewVersion {
  readonly name: string
  readonly version: string
  readonly manifest: PluginManifest
  readonly digest: string
  readonly size: number
  /** The admin principal who installs it. */
  readonly by: string
}

/** The plugin catalog (`plugin-catalog/cluster`) as the registry and the members ask it: each
 * change answered once durable, each refusal the catalog's own error. */
export class CatalogClient {
  readonly #system: ActorSystem
  readonly #now: () => number

  constructor (system: ActorSystem, now: () => number = Date.now) {
    this.#system = system
    this.#now = now
  }

  async list (signal?: AbortSignal): Promise<PluginCatalogView> {
    return await this.#again((replyTo) => ({ type: 'list', replyTo }), signal)
  }

  async get (name: string): Promise<PluginEntry> {
    return await this.#again((replyTo) => ({ type: 'get', name, replyTo }))
  }

  /** (Asked again when a newer owner took the catalog first: the same version and digest again is
   * answered as installed already.) */
  async install (v: NewVersion): Promise<InstallOutcome> {
    const ts = this.#now()
    return await this.#again((replyTo) => ({ type: 'install', ...v, ts, replyTo }))
  }

  async activate (name: string, version: string): Promise<PluginEntry> {
    const ts = this.#now()
    return await this.#again((replyTo) => ({ type: 'activate', name, version, ts, replyTo }))
  }

  async rollback (name: string): Promise<PluginEntry> {
    return await this.#ask((replyTo) => ({ type: 'rollback', name, ts: this.#now(), replyTo }))
  }

  async setEnabled (name: string, enabled: boolean): Promise<PluginEntry> {
    const ts = this.#now()
    return await this.#again((replyTo) => ({ type: 'set-enabled', name, enabled, ts, replyTo }))
  }

  async remove (name: string): Promise<PluginEntry> {
    return await this.#ask((replyTo) => ({ type: 'remove', name, replyTo }))
  }

  /** A member's report; false when the plugin is gone from the catalog. */
  async report (name: string, node: string, report: Omit<MemberReport, 'at'>, signal?: AbortSignal): Promise<boolean> {
    const at = this.#now()
    return await this.#again((replyTo) => ({ type: 'report', name, node, report: { ...report, at }, replyTo }), signal)
  }

  /**
   * Asks, and asks again when the owner that was to answer lost the catalog to a newer one first
   * (isSuperseded: placement moving it while a cluster forms, or a take that was abandoned after it
   * fenced): the message did not take effect there, or not for sure, and the newer owner takes it.
   * Only for messages that may arrive twice (reads, and changes that set what they say: a second
   * one changes nothing); a rollback and a removal are asked once.
   */
  async #again<T> (msg: (replyTo: ReplyTo<T>) => PluginCatalogMsg, signal?: AbortSignal): Promise<T> {
    for (let resend = 0; ; resend++) {
      try {
        return await this.#ask(msg, signal)
      } catch (err) {
        const wait = CATALOG_SUPERSEDED_RESEND_MS[resend]
        if (wait === undefined || !isSuperseded(err) || signal?.aborted === true) throw err
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
  }

  async #ask<T> (msg: (replyTo: ReplyTo<T>) => PluginCatalogMsg, signal?: AbortSignal): Promise<T> {
    return await this.#system.entity(PLUGIN_CATALOG, PLUGIN_CATALOG_KEY).ask<T>(msg as (replyTo: ReplyTo<T>) => PluginCatalogMsg, { timeout: CATALOG_ASK_MS, ...(signal !== undefined && { signal }) })
  }
}
