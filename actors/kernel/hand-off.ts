/**
 * The words of the kernel's side of moving an entity (docs/architecture.md, glossary):
 * - a **live move** stops an entity on its old owner (`release`), carries its **hand-off** (this
 *   file) to the new owner, which activates it from that (`adopt`), and passes on what arrived
 *   meanwhile (`finishRelease`);
 * - the **hand-over** of a journal is the old activation's hold on its journal, inside the hand-off
 *   (EntityJournal.handOver, Journal.open's `handedOver`);
 * - **relinquishing** an entity (its owner changed, no live move) stops it here once its work is
 *   done; the new owner recovers it from its journal.
 */

/** An entity's hand-off: what a live move carries from its old owner to its new one. */
export interface HandOff {
  /** The entity's state after every event up to `seq`: durable, or in flight in the journal handed
   * over with it (`journal`), which makes them durable on the new owner. */
  readonly state: unknown
  readonly seq: number
  /** The seq of its last snapshot. */
  readonly snapshotSeq: number
  /** EntityType.exportVolatile's data (undefined: none). */
  readonly volatile: unknown
  /** The old owner's hold on the entity's journal (EntityJournal.handOver): the new owner goes on
   * from it, without taking the journal anew, when its journal can (Journal.open). Absent: the new
   * owner takes the journal with a new epoch, which fences the old owner. */
  readonly journal?: unknown
  /** Messages that arrived while it was being released, oldest first: the new owner takes them
   * before any other. */
  readonly buffered: readonly unknown[]
}

/** How a release (the old owner's half of a live move) ended. */
export type Release =
  | { readonly outcome: 'released', readonly handOff: HandOff }
  /** No activation here to move (none, or one already stopping or moving). */
  | { readonly outcome: 'not-active' }
  /** It did not stop cleanly (still busy after the interrupt, or a write failed): the new owner
   * must recover it from its journal, which fences what may still run here; the `waiting`
   * messages go on with finishRelease. `untaken`: it had not taken its journal yet (it was waiting
   * for it; leave stopped the wait): nothing of it ran here, nothing was lost. */
  | { readonly outcome: 'cold', readonly why: string, readonly waiting: number, readonly untaken?: true }
