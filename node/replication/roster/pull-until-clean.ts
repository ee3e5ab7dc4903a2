import type { ReplicatedJournal } from '../journal/replicated-journal.ts'

/** What a replica took from another node in one pull without a budget (a take-over:
 * AntiEntropy.takeOver), for a partition hand-off or a catch-up. */
export interface TakeOverResult {
  readonly records: number
  readonly repaired: number
  readonly divergent: number
  /** Entities whose log on the node pulled from is the one recovery would choose. */
  readonly peerNewer: readonly string[]
  /** Entities whose log on the new replica changed while it was filled (pulled again). */
  readonly movedOn: number
  /** Entities whose floor it took (docs/replication.md, "Rewrites and trims"; absent: none). */
  readonly floors?: number
}

/**
 * Pulls one partition between two nodes until a pull takes nothing, at most `rounds` pulls: what
 * a partition hand-off asks of each new replica (from the leaving node) and what a learner does
 * with each holder (catch-up.ts). An entity whose log on the source is the one recovery would choose (the
 * pull reports it: the logs part and the source's is the newer) is recovered through a journal
 * open, which writes it to the partition's replicas. Undefined when clean, else why not, in words.
 */
export async function pullUntilClean (journal: ReplicatedJournal, partition: number, what: string, pull: () => Promise<TakeOverResult>, rounds: number): Promise<string | undefined> {
  for (let round = 0; round < rounds; round++) {
    let result: TakeOverResult
    try {
      result = await pull()
    } catch (err) {
      return `partition ${partition}: ${what} failed: ${(err as Error).message}`
    }
    for (const entity of result.peerNewer) {
      try {
        const opened = await journal.open(entity)
        opened.close()
      } catch (err) {
        return `partition ${partition}: ${entity} could not be recovered onto its replicas: ${(err as Error).message}`
      }
    }
    if (result.records + result.repaired + (result.floors ?? 0) === 0 && result.peerNewer.length === 0 && result.movedOn === 0) return undefined
  }
  return `partition ${partition}: ${what} still takes records after ${rounds} pulls (writes still arriving?)`
}
