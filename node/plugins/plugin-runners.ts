import { compareSemver, parseSemver } from '../../protocols/index.ts'

/** What the cluster's tools and plugins read of a member (node/mesh's MemberView has it). */
export interface ToolMember {
  readonly peerId: string
  readonly status: string
  readonly plugins?: ReadonlyArray<{ readonly name: string, readonly version: string }>
  readonly servers?: readonly string[]
}

/** The other members up that run sources (those running `source`, when given), the newest
 * version of it first, then by peer id. */
export function runnersOf (members: readonly ToolMember[], self: string, source?: string): ToolMember[] {
  const version = (m: ToolMember): string => m.plugins?.filter((p) => p.name === source).map((p) => p.version).sort(newestFirst)[0] ?? '0.0.0'
  return members
    .filter((m) => m.peerId !== self && m.status === 'up' && ((m.plugins?.length ?? 0) + (m.servers?.length ?? 0)) > 0)
    .filter((m) => source === undefined || m.plugins?.some((p) => p.name === source) === true || m.servers?.includes(source) === true)
    .sort((a, b) => newestFirst(version(a), version(b)) || (a.peerId < b.peerId ? -1 : 1))
}

/** Refusals that say the ask never reached a plugin there: the member runs it no more, is too
 * busy, or has no `/plugins`. The next member may be asked; after any other failure it may have
 * run, and no other is asked. */
const REFUSED_BEFORE = new Set(['PluginNotFoundError', 'PluginBusyError', 'ActorStoppedError'])

/** `attempt` on each runner in turn while they refuse before it reaches a plugin; the last
 * refusal when all do. */
export async function onFirstRunner<R> (runners: readonly ToolMember[], attempt: (peer: string) => Promise<R>): Promise<R> {
  let last: unknown
  for (const member of runners) {
    try {
      return await attempt(member.peerId)
    } catch (err) {
      last = err
      if (!REFUSED_BEFORE.has(String((err as { name?: unknown }).name))) throw err
    }
  }
  throw last
}

function newestFirst (a: string, b: string): number {
  const x = parseSemver(a)
  const y = parseSemver(b)
  return x === undefined || y === undefined ? 0 : compareSemver(y, x)
}
