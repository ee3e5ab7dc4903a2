import { scheduleMs } from '../../config/index.ts'
import { RetentionRunner, RetentionScheduler, UserErasure, spawnStoreCompaction } from '../erasure/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * Erasure and retention: every node compacts its store when asked (after an erasure or a retention
 * run), and runs the erase and retention jobs its admin API starts; one member (the lowest id up)
 * runs retention on its schedule (retention-schedule). The erasure log is applied by
 * every restore (backupsPart's restoreFilter reads it through ErasureFilter).
 */
export const erasurePart: PartSpec<NodeComponents> = {
  id: 'erasure',
  needs: ['config', 'log', 'preflight', 'roles', 'system', 'jobs', 'cluster', 'users', 'toolPolicy', 'store', 'replicas', 'searchIndex', 'search', 'serviceFailures'],
  gives: ['erasure', 'retention'],
  start: (c: C) => {
    const config = c.get('config')
    const system = c.get('system')
    const cluster = c.get('cluster')
    const replicas = c.get('replicas')
    const self = c.get('preflight').identity.peerId
    const roles = c.get('roles')
    const index = c.get('searchIndex')
    spawnStoreCompaction(system, {
      store: c.get('store'),
      partitionOf: (entity) => replicas.partitionOf(entity),
      // the live changes only: imported posts still waiting to be indexed hold nothing there yet
      ...(index !== undefined && { indexSettled: async () => { await index.feed.drain({ imported: false }) } })
    })
    const up = (role?: string): string[] => [
      ...(role === undefined || roles.has(role as never) ? [self] : []),
      ...cluster.members().filter((m) => m.status === 'up' && m.peerId !== self && (role === undefined || m.roles.includes(role))).map((m) => m.peerId)
    ]
    const search = c.get('search')
    c.provide('erasure', new UserErasure({
      system,
      jobs: c.get('jobs'),
      users: c.get('users'),
      toolPolicy: c.get('toolPolicy'),
      members: () => up(),
      storageMembers: () => up('storage'),
      touchedRooms: async (user) => await search.roomsTouchedBy(user)
    }), 'erasure')
    const defaults = config.retentionDays === undefined && config.retentionPosts === undefined
      ? undefined
      : { ...config.retentionDays !== undefined && { days: config.retentionDays }, ...config.retentionPosts !== undefined && { posts: config.retentionPosts } }
    const retention = new RetentionRunner({ system, jobs: c.get('jobs'), defaults: () => defaults, storageMembers: () => up('storage') })
    c.provide('retention', retention, 'erasure')
    // (validated with the config: 'off' or an interval)
    const every = scheduleMs(config.retentionSchedule, 'retention run')
    const scheduler = every === undefined
      ? undefined
      : new RetentionScheduler({
        system,
        everyMs: every,
        defaults: () => defaults,
        elected: () => up().every((peer) => peer >= self),
        running: () => c.get('jobs').running('retention').length,
        start: () => retention.start(),
        failures: c.get('serviceFailures'),
        log: c.get('log').child({ component: 'retention' })
      })
    scheduler?.start()
    return { stop: async () => { await scheduler?.stop() } }
  }
}
