import { VERSIONED_OPS, refusedVersion } from '../replica/replica-protocol.ts'
import type { ReplicaRequest, ReplyOf } from '../replica/replica-protocol.ts'
import type { EntityLogOptions } from './entity-log-options.ts'
import type { OwnerEnv } from './owner-env.ts'

/**
 * An owner's options with its configuration version carried (docs/replication.md, "Roster
 * versions"): every request of VERSIONED_OPS its env sends names `version`, and a reply that
 * refuses it for a newer one tells `newerVersion` (the owner's node learns the version; the reply
 * itself reads as a newer promise or a stale owner, so the take fences again or the log stops).
 * Without `version`, none is carried, and a refusal is told all the same; without either, the
 * options as they are.
 */
export function withVersion<O extends Pick<EntityLogOptions, 'env' | 'version' | 'newerVersion'>> (opts: O): O {
  const { version: given, env, newerVersion } = opts
  if (given === undefined && newerVersion === undefined) return opts
  const version = typeof given === 'function' ? given : () => given
  const versioned: OwnerEnv = {
    call: <R extends ReplicaRequest>(node: string, request: R): Promise<ReplyOf<R>> => {
      // (none carried: a replica that stored one refuses, and the node is told of it all the same)
      const send = (carried: number | undefined): Promise<ReplyOf<R>> => env.call(node, carried !== undefined && VERSIONED_OPS.has(request.op) ? { ...request, version: carried } : request).then((reply) => {
        const newer = refusedVersion(reply)
        if (newer === undefined || newer <= (carried ?? 0)) return reply
        // a log that moved to that version (or past it) since it sent this (its own move's fence
        // stored the version on the replica first): sent again under the version it carries now,
        // as it would send it now, rather than read as a newer owner's refusal that stops it
        const now = version()
        if (now !== undefined && now >= newer && now > (carried ?? 0)) return send(now)
        newerVersion?.(newer)
        return reply
      })
      return send(version())
    },
    timer: (ms, fn) => env.timer(ms, fn),
    random: () => env.random(),
    now: () => env.now(),
    ...(env.clock !== undefined && { clock: () => (env.clock as () => number)() }),
    ...(env.live !== undefined && { live: (node: string) => (env.live as (n: string) => boolean)(node) }),
    ...(env.trace !== undefined && { trace: env.trace })
  }
  return { ...opts, env: versioned }
}
