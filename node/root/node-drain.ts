import { stopGrpcServer } from '../grpc/index.ts'
import type { Lifecycle } from '../lifecycle.ts'
import type { Components } from './components.ts'
import { DRAIN_LINGER_MAX_MS, DRAIN_QUIET_MS, INTERRUPT_GRACE_MS } from './constants.ts'
import type { NodeComponents } from './node-components.ts'

type C = Components<NodeComponents>


/**
 * Before the parts stop: no new work, the others told, what is in flight finished. Every entity
 * another node can own moves there live; the rest finish their work (at most shutdown-timeout,
 * then interrupted) and stop with their writes durable while the mesh still runs.
 */
export async function drainNode (c: C, lifecycle: Lifecycle): Promise<void> {
  const config = c.get('config')
  const log = c.get('log')
  const p2p = c.get('p2p')
  const system = c.get('system')
  c.get('state').drain()
  // the members leaving with this node are no news to log, nor a reason to fail its writes
  await c.get('writeQuorum').stop()
  log.info('shutting down: not ready, closing streams, finishing in-flight calls')
  // the others stop placing entities here now, not after the failure timeout
  p2p?.announce()
  c.get('cluster').refresh()
  // the moves just queued hand their entities over first: their releases run in this turn and
  // their hand-offs leave at its end; closing streams and the gRPC server (milliseconds of work)
  // waits a turn, not in the middle of every entity's pause
  await new Promise((resolve) => setTimeout(resolve, 0))
  const streams = await c.get('gateway').ask<number>((replyTo) => ({ type: 'close-all', reason: 'node is shutting down', replyTo })).catch(() => 0)
  // the moves' wait starts first, then in-flight calls finish beside it
  const settling = moveAndSettle(c)
  const [clean, work] = await Promise.all([stopGrpcServer(c.get('grpc').server, config.shutdownTimeout + INTERRUPT_GRACE_MS), settling])
  if (work.interrupted > 0) log.warn({ interrupted: work.interrupted }, `${work.interrupted} entities were still busy after shutdown-timeout (${config.shutdownTimeout} ms) and were interrupted (agents keep their partial answers)`)
  if (!clean) log.warn(`in-flight calls did not finish within ${config.shutdownTimeout + INTERRUPT_GRACE_MS} ms; they were cut`)
  // the entities left stop now, while the mesh runs: their last writes go to replicas on other
  // nodes, which the parts' stop (the mesh before the actors) would cut off
  const unstopped = await system.stopEntities(config.shutdownTimeout)
  if (unstopped > 0) log.warn({ unstopped }, `${unstopped} entities did not stop with their writes durable within shutdown-timeout (${config.shutdownTimeout} ms); what they did not acknowledge is not kept, and their next owners recover them from their journals`)
  log.info({ streams }, `drained: ${streams} streams closed; stopping ${lifecycle.started.reverse().join(', ')}`)
}

/**
 * Every entity another node can own moves there live (the refresh queued them): its messages wait
 * for the move, its work in progress finishes first (at most migration-timeout, then it is
 * interrupted). Then the entities left (of a role no other member holds) finish their work for at
 * most shutdown-timeout; answers still running then are interrupted: their partial text is
 * journaled and their callers told ('interrupted'), which ends their calls too.
 */
async function moveAndSettle (c: C): Promise<{ interrupted: number }> {
  const config = c.get('config')
  const log = c.get('log')
  const migrator = c.get('migrator')
  const system = c.get('system')
  const movesBefore = new Map(migrator.stats.moves)
  // (as long as they take while moves keep ending: the bound is on a stall, one move's own)
  const stallMs = config.migrationTimeout + 2 * INTERRUPT_GRACE_MS + 5_000
  const allMoved = await migrator.idle(stallMs)
  // what this drain moved, by outcome (moved live, cold, failed, not-active)
  const outcomes: Record<string, number> = {}
  for (const [label, n] of migrator.stats.moves) {
    const outcome = label.split('/')[1] as string
    const delta = n - (movesBefore.get(label) ?? 0)
    if (delta > 0) outcomes[outcome] = (outcomes[outcome] ?? 0) + delta
  }
  const moved = Object.values(outcomes).reduce((a, b) => a + b, 0)
  if (!allMoved) log.warn({ left: migrator.pending }, `${migrator.pending} entity moves did not end (none ended for ${stallMs} ms); their entities recover from their journals on their new owners`)
  if (moved > 0 || !allMoved) log.info({ moved, outcomes, left: system.entities().length }, `drain: ${moved} entities moved to other members (${Object.entries(outcomes).map(([o, n]) => `${n} ${o}`).join(', ')}); ${system.entities().length} stay until the stop (no other member holds their role)`)
  // messages already on their way here still reach the entities' new owners (forwarded): the
  // node stays until none came for a moment (bounded)
  const transport = c.get('cluster').transport
  if (transport !== undefined && moved > 0) {
    const until = performance.now() + DRAIN_LINGER_MAX_MS
    for (let seen = -1; seen !== transport.stats.entityMessages && performance.now() < until;) {
      seen = transport.stats.entityMessages
      await new Promise((resolve) => setTimeout(resolve, DRAIN_QUIET_MS))
    }
  }
  return await system.settleEntities(config.shutdownTimeout, INTERRUPT_GRACE_MS)
}
