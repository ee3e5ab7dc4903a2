import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { BACKUPS, MAX_BACKUPS, checkBackupCatalogMsg } from './backup-catalog-protocol.ts'
import type { BackupCatalogEvent, BackupCatalogMsg, BackupCatalogState, BackupEntry } from './backup-catalog-protocol.ts'
import { BackupCatalogError } from './errors.ts'

/**
 * The cluster's list of backups: `backups/cluster`, one entity on a backup-role member, journaled
 * and replicated like any other, so `backup ls` answers from any node after any node's death.
 * It holds what a backup is (its key's fingerprint, its Merkle root, where its sealed manifest is,
 * what it took) and never any of its content or key. Each change is answered once durable.
 */
export const backupCatalog: EntityType<BackupCatalogMsg, BackupCatalogState, BackupCatalogEvent> = {
  type: BACKUPS.type,
  role: 'backup',
  initialState: () => ({ backups: {} }),
  applyEvent (state, event) {
    const backups = { ...state.backups }
    switch (event.type) {
      case 'backup-began':
        backups[event.id] = {
          id: event.id, state: 'running', note: event.note, keyFingerprint: event.keyFingerprint, node: event.node,
          startedAt: event.ts, endedAt: null, error: null, root: null, manifest: null, stats: null, checkpoint: null, resumed: 0
        }
        break
      case 'backup-checkpointed': {
        const was = backups[event.id]
        if (was !== undefined) backups[event.id] = { ...was, checkpoint: event.checkpoint }
        break
      }
      case 'backup-resumed': {
        const was = backups[event.id]
        if (was !== undefined) backups[event.id] = { ...was, node: event.node, resumed: (was.resumed ?? 0) + 1 }
        break
      }
      case 'backup-completed': {
        const was = backups[event.id]
        // a done backup's checkpoint is its manifest's business now (the partial one is pruned with it)
        if (was !== undefined) backups[event.id] = { ...was, state: 'done', endedAt: event.ts, root: event.root, manifest: event.manifest, stats: event.stats, checkpoint: null }
        break
      }
      case 'backup-failed': {
        const was = backups[event.id]
        if (was !== undefined) backups[event.id] = { ...was, state: 'failed', endedAt: event.ts, error: event.error }
        break
      }
      case 'backup-removed':
        delete backups[event.id]
        break
      default:
        assertNever(event, 'backup catalog event')
    }
    return { backups }
  },
  check: checkBackupCatalogMsg,
  async receive (ctx, msg) {
    const backups = ctx.state.backups
    const known = (id: string): BackupEntry | undefined => Object.hasOwn(backups, id) ? backups[id] : undefined
    switch (msg.type) {
      case 'begin': {
        if (known(msg.id) !== undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} exists already`))
        if (Object.keys(backups).length >= MAX_BACKUPS) return ctx.fail(msg.replyTo, new BackupCatalogError(`the catalog holds ${MAX_BACKUPS} backups, the most it keeps: remove old ones (plexi admin backup rm ID) or set a retention`))
        await ctx.persist({ type: 'backup-began', id: msg.id, note: msg.note, keyFingerprint: msg.keyFingerprint, node: msg.node, ts: msg.ts })
        return ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
      }
      case 'complete':
      case 'fail': {
        const entry = known(msg.id)
        if (entry === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no backup ${msg.id}`))
        // the first end stands: a job that was declared failed cannot complete later, nor the other way
        if (entry.state !== 'running') return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} is ${entry.state} already`))
        if (msg.node !== undefined && msg.node !== entry.node) return ctx.fail(msg.replyTo, takenOver(entry))
        await ctx.persist(msg.type === 'complete'
          ? { type: 'backup-completed', id: msg.id, root: msg.root, manifest: msg.manifest, stats: msg.stats, ts: msg.ts }
          : { type: 'backup-failed', id: msg.id, error: msg.error, ts: msg.ts })
        return ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
      }
      case 'checkpoint': {
        const entry = known(msg.id)
        if (entry === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no backup ${msg.id}`))
        if (entry.state !== 'running') return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} is ${entry.state} already`))
        if (msg.node !== entry.node) return ctx.fail(msg.replyTo, takenOver(entry))
        await ctx.persist({ type: 'backup-checkpointed', id: msg.id, checkpoint: msg.checkpoint, ts: msg.ts })
        return ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
      }
      case 'resume': {
        const entry = known(msg.id)
        if (entry === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no backup ${msg.id}`))
        if (entry.state !== 'running') return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} is ${entry.state} already`))
        if (entry.node !== msg.from) return ctx.fail(msg.replyTo, takenOver(entry))
        await ctx.persist({ type: 'backup-resumed', id: msg.id, node: msg.node, ts: msg.ts })
        return ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
      }
      case 'remove': {
        if (known(msg.id) === undefined) return ctx.reply(msg.replyTo, false)
        await ctx.persist({ type: 'backup-removed', id: msg.id })
        return ctx.reply(msg.replyTo, true)
      }
      case 'list':
        return ctx.reply(msg.replyTo, Object.values(backups).sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1)))
      default:
        assertNever(msg, 'backup catalog message')
    }
  }
}

function takenOver (entry: BackupEntry): BackupCatalogError {
  return new BackupCatalogError(`backup ${entry.id} is being made by ${entry.node} now (it was resumed there)`)
}
