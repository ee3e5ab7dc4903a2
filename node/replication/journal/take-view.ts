import { REPLAN_ATTEMPTS } from '../constants.ts'
import { RosterChangedError } from '../lease-errors.ts'
import type { OwnerLog } from './owner-env.ts'

/**
 * What a take of a partition is planned on (docs/replication.md, "Roster changes"): its replicas
 * and their write quorum, and every storage node known (the nodes it fences). A take whose view is
 * no longer this node's starts again under the new one.
 */
export function viewKey (placement: { readonly replicas: readonly string[], readonly writeQuorum: number }, known: ReadonlyArray<{ readonly peerId: string }>): string {
  return `${placement.replicas.join(',')}/${placement.writeQuorum}/${known.map((c) => c.peerId).sort().join(',')}`
}

/** Runs `take` again each time it fails with RosterChangedError (the roster changed while it was
 * under way), REPLAN_ATTEMPTS times in all; then fails with RosterChangedError saying how many. */
export async function withReplans<T> (entityId: string, take: () => Promise<T>, log: OwnerLog | undefined): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await take()
    } catch (err) {
      if ((err as Error | undefined)?.name !== 'RosterChangedError') throw err
      if (attempt >= REPLAN_ATTEMPTS) throw new RosterChangedError(entityId, attempt)
      log?.debug({ entity: entityId, attempt }, `${entityId}: the storage roster changed while it was being taken; taken again under the new view`)
    }
  }
}
