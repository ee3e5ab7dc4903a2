/**
 * Counters of one actor system, read by node/ for metrics (prom-client collects them on scrape;
 * the kernel only increments plain numbers, which costs nothing on the hot path).
 */
export class SystemStats {
  /** Messages and signals handled by actors (a handler that threw counts as a failure instead). */
  messagesProcessed = 0
  /** `tell`s refused because the target's mailbox was full. */
  tellsDropped = 0
  /** `ask`s rejected with MailboxFullError. */
  asksRejected = 0
  asksTimedOut = 0
  /** Messages for actors that had stopped (tells dropped, asks rejected with ActorStoppedError). */
  deadLetters = 0
  /** Handlers or inits that threw (a refusal is not a failure: see `refusals`). */
  failures = 0
  /** Messages a handler refused by throwing a refusal (invalid, not found, denied, over a limit),
   * or that an entity type's check refused before delivery: the asker was told why and the actor
   * went on (or never saw it). */
  refusals = 0
  restarts = 0
  /** Supervisors (or entities) that exceeded their restart intensity. */
  escalations = 0
  entityActivations = 0
  entityPassivations = 0
  /** Entity activations that stopped because a newer owner took the entity (its journal fenced). */
  entitiesSuperseded = 0
  /** Live actors by kind (`actor`, `supervisor`, or the entity type). */
  readonly actorsByKind = new Map<string, number>()

  actorStarted (kind: string): void {
    this.actorsByKind.set(kind, (this.actorsByKind.get(kind) ?? 0) + 1)
  }

  actorStopped (kind: string): void {
    const n = (this.actorsByKind.get(kind) ?? 0) - 1
    if (n > 0) this.actorsByKind.set(kind, n)
    else this.actorsByKind.delete(kind)
  }
}
