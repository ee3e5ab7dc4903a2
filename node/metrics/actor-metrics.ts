import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedLabelledCounter, scrapedLabelledGauge } from './scraped-metric.ts'

/** What actorMetrics reads of the actor system (actors/kernel ActorSystem: its `stats` and its
 * listing of live actors). */
export interface ActorStatsView {
  readonly stats: {
    readonly actorsByKind: Iterable<readonly [string, number]>
    readonly messagesProcessed: number
    readonly tellsDropped: number
    readonly asksRejected: number
    readonly deadLetters: number
    readonly failures: number
    readonly refusals: number
    readonly restarts: number
    readonly escalations: number
    readonly entityActivations: number
    readonly entityPassivations: number
    readonly entitiesSuperseded: number
    readonly asksTimedOut: number
  }
  actors (): Iterable<{ readonly kind: string, readonly mailbox: number }>
}

/** The actor system's counters and gauges, read at scrape time. */
export function actorMetrics (registry: Registry, system: ActorStatsView): void {
  const stats = system.stats
  scrapedLabelledGauge(registry, 'plexi_actors', 'Live actors by kind (the entity type for entities)', ['kind'],
    () => [...stats.actorsByKind].map(([kind, n]) => [{ kind }, n] as const))
  scrapedLabelledGauge(registry, 'plexi_mailbox_messages', 'Messages waiting in mailboxes, by actor kind', ['kind'], () => {
    const depth = new Map<string, number>()
    for (const actor of system.actors()) depth.set(actor.kind, (depth.get(actor.kind) ?? 0) + actor.mailbox)
    return [...depth].map(([kind, n]) => [{ kind }, n] as const)
  })
  scrapedCounter(registry, 'plexi_messages_processed_total', 'Messages handled by actors', () => stats.messagesProcessed)
  scrapedLabelledCounter(registry, 'plexi_messages_dropped_total', 'Messages refused: mailbox_full (tell or ask) or dead_letter (actor stopped)', ['reason'], () => [
    [{ reason: 'mailbox_full' }, stats.tellsDropped + stats.asksRejected],
    [{ reason: 'dead_letter' }, stats.deadLetters]
  ])
  scrapedCounter(registry, 'plexi_actor_failures_total', 'Actor handlers or inits that threw', () => stats.failures)
  scrapedCounter(registry, 'plexi_actor_refusals_total', 'Requests an actor refused (invalid, unknown, denied, over a limit): the asker was told, the actor went on', () => stats.refusals)
  scrapedCounter(registry, 'plexi_actor_restarts_total', 'Actor restarts by supervisors', () => stats.restarts)
  scrapedCounter(registry, 'plexi_supervisor_escalations_total', 'Restart intensity exceeded', () => stats.escalations)
  scrapedCounter(registry, 'plexi_entity_activations_total', 'Entity activations', () => stats.entityActivations)
  scrapedCounter(registry, 'plexi_entity_passivations_total', 'Entity passivations', () => stats.entityPassivations)
  scrapedCounter(registry, 'plexi_entities_superseded_total', 'Entity activations stopped because a newer owner took the entity (a steady cluster has none)', () => stats.entitiesSuperseded)
  scrapedCounter(registry, 'plexi_asks_timed_out_total', 'Asks that got no reply in time', () => stats.asksTimedOut)
}
