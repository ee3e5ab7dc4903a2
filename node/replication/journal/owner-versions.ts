import { VERSIONED_OPS, refusedVersion } from '../replica/replica-protocol.ts'
import type { EntityLogOptions } from './entity-log-options.ts'
import type { OwnerEnv } from './owner-env.ts'

/**
 * An owner's options with its configuration version carried (docs/replication.md, "Roster
 * versions"): every request of VERSIONED_OPS its env sends names `version`, and a reply that
 * refuses it for a newer one tells `newerVersion` (the owner's node learns the version; the reply
 * itself reads as a newer promise or a stale owner, so the take fences again or the log stops).
 * Without `version`, the options as they are.
 */
export function withVersion<O extends Pick<EntityLogOptions, 'env' | 'version' | 'newerVersion'>> (opts: O): O {
  const { version, env, newerVersion } = opts
  if (version === undefined) return opts
  const versioned: OwnerEnv = {
    call: (node, request) => env.call(node, VERSIONED_OPS.has(request.op) ? { ...request, version } : request).then((reply) => {
      const newer = refusedVersion(reply)
      if (newer !== undefined && newer > version) newerVersion?.(newer)
      return reply
    }),
    timer: (ms, fn) => env.timer(ms, fn),
    random: () => env.random(),
    now: () => env.now(),
    ...(env.clock !== undefined && { clock: () => (env.clock as () => number)() }),
    ...(env.live !== undefined && { live: (node: string) => (env.live as (n: string) => boolean)(node) }),
    ...(env.trace !== undefined && { trace: env.trace })
  }
  return { ...opts, env: versioned }
}
