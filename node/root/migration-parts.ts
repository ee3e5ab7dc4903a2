import { AGENT } from '../../actors/index.ts'
import { migrationMetrics } from '../metrics/index.ts'
import { Leave, LeaveRefusedError, Migrator, MoveJobs, markDecommissioned, spawnMigrationActor } from '../migration/index.ts'
import type { LeaveMode, MoveResult, MoveTrigger } from '../migration/index.ts'
import { INTERRUPT_GRACE_MS } from './constants.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>


/**
 * Live moves of entities (rebalances, drains, admins' moves), as jobs, with the migration actor
 * that answers other nodes' claims and hand-overs; binds the moves port the mesh reads. An
 * agent's KV cache goes ahead of it, so that its first turn on the new node reuses it.
 */
export const migrationPart: PartSpec<NodeComponents> = {
  id: 'migration',
  needs: ['config', 'log', 'system', 'cluster', 'p2p', 'membership', 'pins', 'jobs', 'metrics', 'kvCaches', 'moves', 'serviceFailures', 'tracing'],
  gives: ['migrator', 'moveJobs'],
  start: (c: C) => {
    const config = c.get('config')
    const cluster = c.get('cluster')
    const p2p = c.get('p2p')
    const kvCaches = c.get('kvCaches')
    const membership = c.get('membership')
    /** Who hears of each move as it ends (the metrics, once the migrator exists to read). */
    const moveListeners: Array<(result: MoveResult, trigger: MoveTrigger) => void> = []
    const migrator = new Migrator({
      onMove: (result, trigger) => { for (const listen of moveListeners) listen(result, trigger) },
      system: c.get('system'),
      port: cluster.port,
      placement: cluster.placement,
      live: (peer) => membership.isLive(peer),
      busyMs: config.migrationTimeout,
      graceMs: INTERRUPT_GRACE_MS,
      concurrency: config.migrationConcurrency,
      awaitCandidate: async (peer, role, ms) => await cluster.awaitCandidate(peer, role, ms),
      pins: c.get('pins'),
      announce: () => {
        cluster.refresh()
        p2p?.announce()
      },
      failures: c.get('serviceFailures'),
      beforeMove: async (type, key, to) => { if (type === AGENT.type) await kvCaches.push(`${AGENT.type}/${key}`, to) },
      spans: c.get('tracing').spans,
      log: c.get('log').child({ component: 'migration' })
    })
    moveListeners.push(migrationMetrics(c.get('metrics').registry, { buffered: () => cluster.port.buffered(), pending: () => migrator.pending, concurrency: () => migrator.concurrency }))
    migrator.start()
    const moveJobs = new MoveJobs(c.get('jobs'), migrator)
    c.get('moves').bind({
      moveAway: (trigger) => {
        const queued = migrator.rebalance(trigger)
        moveJobs.queued(trigger, queued)
        return queued
      }
    })
    const transport = cluster.transport
    if (transport !== undefined) transport.claimer = (type, key) => migrator.claim(type, key)
    c.provide('migrator', migrator, 'migration')
    c.provide('moveJobs', moveJobs, 'migration')
    return {
      stop: () => {
        if (transport !== undefined) transport.claimer = undefined
        migrator.stop()
      }
    }
  }
}

/**
 * An admin's drain or decommission of this node (asked through another member): a drain is the
 * graceful stop; a decommission first drops every role and hands the storage partitions off. The
 * migration actor, which answers other nodes' moves and these requests, starts with it.
 */
export const leavePart: PartSpec<NodeComponents> = {
  id: 'leave',
  needs: ['config', 'log', 'preflight', 'state', 'roles', 'system', 'cluster', 'roster', 'rosterChanged', 'p2p', 'migrator', 'repairs', 'self', 'shutdown'],
  gives: ['leave'],
  start: (c: C) => {
    const config = c.get('config')
    const { identity, capacity, clusterKey } = c.get('preflight')
    const state = c.get('state')
    const roles = c.get('roles')
    const system = c.get('system')
    const cluster = c.get('cluster')
    const roster = c.get('roster')
    const p2p = c.get('p2p')
    const repairs = c.get('repairs')
    const check = (mode: LeaveMode): void => {
      if (mode !== 'decommission') return
      if (!state.ready) throw new LeaveRefusedError(`${identity.peerId} is ${state.now}: it cannot be decommissioned now`)
      const others = cluster.members().filter((m) => m.status === 'up' || m.status === 'suspect')
      const alone = roles.current.filter((r) => r !== 'storage' && !others.some((m) => m.roles.includes(r)))
      if (alone.length > 0) throw new LeaveRefusedError(`${identity.peerId} is the only member with the ${alone.join(', ')} role${alone.length > 1 ? 's' : ''}: its entities would have nowhere to go; start a node with --role ${alone.join(',')} first`)
      if (clusterKey !== undefined && roster.candidates().some((m) => m.peerId === identity.peerId)) {
        const rest = roster.candidates().filter((m) => m.peerId !== identity.peerId).length
        if (rest < config.replicationFactor) throw new LeaveRefusedError(`decommissioning ${identity.peerId} would leave ${rest} storage node${rest === 1 ? '' : 's'} for replication-factor ${config.replicationFactor}: its partitions would be short of replicas; add a storage node first`)
      }
    }
    const leave = new Leave({
      migrator: c.get('migrator'),
      entities: () => system.entities().length,
      check,
      dropRoles: () => {
        state.drain()
        roles.replace([])
        if (roster.update([...cluster.members(), { peerId: identity.peerId, roles: [], capacity }])) c.get('rosterChanged')()
        cluster.refresh()
        p2p?.announce()
      },
      handOff: () => {
        const h = repairs.handOff
        if (h === undefined) return undefined
        if (roster.isLeaving(identity.peerId)) return h.status
        // following roster versions, placement says leaving once a version does: the keeper's node
        // proposes it (this node heard leaving: its wish); until then nothing is handed off yet
        if (roster.wish().isLeaving(identity.peerId)) return { state: 'waiting', waiting: [`a roster version naming ${identity.peerId} leaving (at version ${String(roster.version)})`] }
        return undefined
      },
      markLeft: async () => {
        await markDecommissioned(config.dataDir, identity.peerId)
        c.get('self').markLeft()
        p2p?.announce()
      },
      stop: async () => { await c.get('shutdown').stop() },
      log: c.get('log').child({ component: 'migration' })
    })
    spawnMigrationActor(system, c.get('migrator'), leave)
    c.provide('leave', leave, 'leave')
    return { stop: () => undefined }
  }
}
