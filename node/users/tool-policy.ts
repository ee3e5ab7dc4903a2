import { InvalidNameError, TOOL_PATTERN_RULE, TOOL_POLICY, isToolPattern, toolPermitted } from '../../actors/index.ts'
import type { ActorSystem, ToolPolicyView } from '../../actors/index.ts'
import { USER_NAME_RULE, clip, describe, isUserName } from '../../protocols/index.ts'
import type { ToolSpec } from '../../protocols/index.ts'
import { POLICY_ASK_MS, POLICY_CACHE_MAX, POLICY_CACHE_MS } from './constants.ts'

export interface ToolPolicyOptions {
  readonly system: Pick<ActorSystem, 'entity'>
  /** Where a policy that could not be read is said (`allowed` then answers false). */
  readonly log?: { warn (obj: object, msg: string): void }
  /** @default POLICY_CACHE_MS */
  readonly cacheMs?: number
}

/** A user's switches as they ask for them. */
export interface ToolSwitches {
  readonly enable?: readonly string[]
  readonly disable?: readonly string[]
}

/**
 * Which tools each user's agent may use, over the `tool-policy/<user>` entities: an admin grants
 * and revokes (the admin API), a user turns granted tools on and off for their own agent (the
 * Agent gRPC service), and `allowed(user, tool)` is the input the node's ToolProvider takes: a
 * tool is offered to an agent and called for it only when its user's policy permits it.
 */
export class ToolPolicy {
  readonly #opts: ToolPolicyOptions
  readonly #cache = new Map<string, { readonly view: Promise<ToolPolicyView>, readonly expires: number }>()

  constructor (opts: ToolPolicyOptions) {
    this.#opts = opts
  }

  /** What `user` is granted and has switched, read from the policy now; allowed() reuses it (a
   * Tools call lists the tools its user's agent is offered right after, one read for both). */
  async view (user: string): Promise<ToolPolicyView> {
    checkUser(user)
    return await this.#read(user, true)
  }

  /** An admin grants `tools` (names or `<source>__*`) to `user`'s agent; those granted stay. */
  async grant (user: string, tools: readonly string[]): Promise<ToolPolicyView> {
    checkUser(user)
    checkTools(tools)
    return await this.#changed(user, this.#policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'grant', tools, replyTo })))
  }

  /** An admin revokes `tools` from `user`'s agent (ToolGrantedBySourceError for one held through
   * its source's `*`). */
  async revoke (user: string, tools: readonly string[]): Promise<ToolPolicyView> {
    checkUser(user)
    checkTools(tools)
    return await this.#changed(user, this.#policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'revoke', tools, replyTo })))
  }

  /** `user` turns tools on or off for their own agent (ToolNotGrantedError for turning on a tool
   * not granted to them). */
  async switch (user: string, switches: ToolSwitches): Promise<ToolPolicyView> {
    checkUser(user)
    const enable = switches.enable ?? []
    const disable = switches.disable ?? []
    checkTools([...enable, ...disable])
    return await this.#changed(user, this.#policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'switch', user, enable, disable, replyTo })))
  }

  /**
   * Whether `user`'s agent may use `tool` now: granted and not switched off. The policy read is
   * shared by the calls of one tool list (and reused for POLICY_CACHE_MS); a policy that cannot
   * be read in POLICY_ASK_MS allows nothing. Never throws.
   */
  readonly allowed = async (user: string, tool: ToolSpec): Promise<boolean> => {
    if (!isUserName(user)) return false
    try {
      return toolPermitted(await this.#read(user), tool)
    } catch (err) {
      this.#opts.log?.warn({ err }, `the tool policy of ${user} could not be read (${describe(err)}): no tool is allowed until it can`)
      return false
    }
  }

  /** `fresh`: read from the policy whatever is kept, with the ask's own timeout (view()), and kept
   * once it is answered (allowed() never waits past POLICY_ASK_MS on it); else what is kept while
   * it is young, or a read bounded by POLICY_ASK_MS, kept at once (the calls of one tool list
   * share it). */
  #read (user: string, fresh = false): Promise<ToolPolicyView> {
    const now = performance.now()
    if (fresh) {
      const view = this.#policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'get', replyTo }))
      view.then((v) => { this.#keep(user, Promise.resolve(v), now) }, () => undefined)
      return view
    }
    const kept = this.#cache.get(user)
    if (kept !== undefined && kept.expires > now) return kept.view
    const view = this.#policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'get', replyTo }), { timeout: POLICY_ASK_MS })
    this.#keep(user, view, now)
    // a failed read is not kept: the next call asks again
    view.catch(() => { if (this.#cache.get(user)?.view === view) this.#cache.delete(user) })
    return view
  }

  #keep (user: string, view: Promise<ToolPolicyView>, readAt: number): void {
    this.#cache.delete(user)
    this.#cache.set(user, { view, expires: readAt + (this.#opts.cacheMs ?? POLICY_CACHE_MS) })
    if (this.#cache.size > POLICY_CACHE_MAX) {
      const oldest = this.#cache.keys().next()
      if (oldest.done !== true) this.#cache.delete(oldest.value)
    }
  }

  /** A change through this node applies here at once. */
  async #changed (user: string, change: Promise<ToolPolicyView>): Promise<ToolPolicyView> {
    try {
      return await change
    } finally {
      this.#cache.delete(user)
    }
  }

  #policy (user: string) {
    return this.#opts.system.entity(TOOL_POLICY, user)
  }
}

function checkUser (user: string): void {
  if (!isUserName(user)) throw new InvalidNameError('user name', clip(String(user), 40), USER_NAME_RULE)
}

function checkTools (tools: readonly string[]): void {
  const bad = tools.find((t) => !isToolPattern(t))
  if (bad !== undefined) throw new InvalidNameError('tool', clip(String(bad), 80), TOOL_PATTERN_RULE)
}
