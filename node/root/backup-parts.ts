import { join } from 'node:path'
import { scheduleMs } from '../../config/index.ts'
import { BackupService, ChunkStore, HolderRepair, holderAt, spawnChunkHolder, spawnRestoreHold } from '../backup/index.ts'
import { BACKUP_CHUNKS_DIR } from '../constants.ts'
import { ErasureFilter } from '../erasure/index.ts'
import { backupMetrics } from '../metrics/index.ts'
import type { Candidate } from '../mesh/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/** The members that keep backup chunks: this node when it has the role, and the others up with it. */
function backupHolders (c: C): () => Candidate[] {
  const { identity, capacity } = c.get('preflight')
  const roles = c.get('roles')
  const cluster = c.get('cluster')
  const chunkStore = c.get('chunkStore')
  return () => [
    ...(chunkStore !== undefined && roles.has('backup') ? [{ peerId: identity.peerId, roles: ['backup'], capacity }] : []),
    ...cluster.members().filter((m) => m.status === 'up' && m.roles.includes('backup')).map((m) => ({ peerId: m.peerId, roles: m.roles, capacity: m.capacity }))
  ]
}

/** Backup-role members keep other nodes' sealed chunks (ciphertext only: they hold no key). */
export const backupChunksPart: PartSpec<NodeComponents> = {
  id: 'backup-chunks',
  needs: ['config', 'roles', 'system'],
  gives: ['chunkStore'],
  runs: (c: C) => c.get('roles').has('backup'),
  start: async (c: C) => {
    const chunkStore = await ChunkStore.open(join(c.get('config').dataDir, BACKUP_CHUNKS_DIR))
    spawnChunkHolder(c.get('system'), chunkStore)
    c.provide('chunkStore', chunkStore, 'backup-chunks')
    return { stop: async () => { await chunkStore.close() } }
  }
}

/** Backups, verifies, restores and audits, as jobs, on their schedules (backup-schedule,
 * backup-audit-interval); every node answers restores' holds. Holders see to their chunks' copies
 * themselves, with no key: a holder gone or a copy lost is made good from the copies left. */
export const backupsPart: PartSpec<NodeComponents> = {
  id: 'backup-schedule',
  needs: ['config', 'log', 'preflight', 'system', 'journal', 'jobs', 'cluster', 'chunkStore', 'roles', 'metrics', 'serviceFailures'],
  gives: ['backups', 'holderRepair'],
  start: (c: C) => {
    const config = c.get('config')
    const { identity, backupKey } = c.get('preflight')
    const system = c.get('system')
    const cluster = c.get('cluster')
    const chunkStore = c.get('chunkStore')
    spawnRestoreHold(system, cluster.port, c.get('log'))
    const schedule = scheduleMs(config.backupSchedule)
    const audits = scheduleMs(config.backupAuditInterval)
    const backups = new BackupService({
      system,
      journal: c.get('journal'),
      self: identity.peerId,
      key: backupKey,
      holders: backupHolders(c),
      copies: config.backupCopies,
      jobs: c.get('jobs'),
      retention: { keepLast: config.backupKeepLast, keepDaily: config.backupKeepDaily, keepWeekly: config.backupKeepWeekly },
      ...(schedule !== undefined && { scheduleMs: schedule }),
      ...(audits !== undefined && { auditMs: audits }),
      log: c.get('log').child({ component: 'backup' }),
      failures: c.get('serviceFailures'),
      restoreFilter: async () => await ErasureFilter.load(system),
      live: (peer) => peer === identity.peerId || cluster.members().some((m) => m.peerId === peer && m.status !== 'down'),
      ownerOf: (entity) => {
        const slash = entity.indexOf('/')
        const role = system.entityTypes().find((t) => t.type === entity.slice(0, slash))?.role
        const owner = role === undefined ? undefined : cluster.placement.ownerOf(entity.slice(0, slash), role, entity.slice(slash + 1))
        return typeof owner === 'string' ? owner : undefined
      }
    })
    const holderRepair = chunkStore === undefined
      ? undefined
      : new HolderRepair({ store: chunkStore, self: identity.peerId, holders: backupHolders(c), copies: config.backupCopies, holder: (node) => holderAt(system, node), log: c.get('log').child({ component: 'backup' }), failures: c.get('serviceFailures') })
    backupMetrics(c.get('metrics').registry, { service: backups, store: chunkStore, holderRepair })
    backups.start()
    c.provide('backups', backups, 'backup-schedule')
    c.provide('holderRepair', holderRepair, 'backup-schedule')
    return { stop: async () => { await backups.stop() } }
  }
}

/** The holders' own repair of their chunks' copies, every backup-audit-interval (none when the
 * node keeps no chunks or audits are off). */
export const holderRepairPart: PartSpec<NodeComponents> = {
  id: 'backup-holder-repair',
  needs: ['config', 'holderRepair'],
  gives: [],
  runs: (c: C) => c.get('holderRepair') !== undefined && scheduleMs(c.get('config').backupAuditInterval) !== undefined,
  start: (c: C) => {
    const holderRepair = c.get('holderRepair') as HolderRepair
    holderRepair.start(scheduleMs(c.get('config').backupAuditInterval) as number)
    return { stop: async () => { await holderRepair.stop() } }
  }
}
