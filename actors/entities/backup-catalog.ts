import { assertNever } from '../../protocols/index.ts'
import type { EntityContext, EntityType } from '../kernel/index.ts'
import { BACKUPS, MAX_BACKUPS, MAX_ENDED_RESTORES, checkBackupCatalogMsg } from './backup-catalog-protocol.ts'
import type { BackupCatalogEvent, BackupCatalogMsg, BackupCatalogState, BackupEntry, RestoreEntry } from './backup-catalog-protocol.ts'
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
    if (event.type.startsWith('restore-')) return { ...state, restores: applyRestoreEvent(state.restores ?? {}, event) }
    if (event.type === 'catalog-locked') return { ...state, lock: { node: event.node, until: event.until } }
    if (event.type === 'catalog-unlocked') return { ...state, lock: null }
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
      case 'restore-began':
      case 'restore-progressed':
      case 'restore-ended':
      case 'restore-resumed':
        break
      default:
        assertNever(event, 'backup catalog event')
    }
    return { ...state, backups }
  },
  check: checkBackupCatalogMsg,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'begin':
        return await begin(ctx, msg)
      case 'complete':
      case 'fail':
        return await end(ctx, msg)
      case 'checkpoint':
        return await checkpoint(ctx, msg)
      case 'resume':
        return await resume(ctx, msg)
      case 'remove': {
        if (known(ctx.state, msg.id) === undefined) return ctx.reply(msg.replyTo, false)
        await ctx.persist({ type: 'backup-removed', id: msg.id })
        return ctx.reply(msg.replyTo, true)
      }
      case 'list':
        return ctx.reply(msg.replyTo, Object.values(ctx.state.backups).sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1)))
      case 'lock':
        return await lock(ctx, msg)
      case 'unlock': {
        if (ctx.state.lock?.node !== msg.node) return ctx.reply(msg.replyTo, false)
        await ctx.persist({ type: 'catalog-unlocked', node: msg.node })
        return ctx.reply(msg.replyTo, true)
      }
      case 'list-restores':
        return ctx.reply(msg.replyTo, Object.values(ctx.state.restores ?? {}).sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1)))
      case 'restore-begin':
        return await restoreBegin(ctx, msg)
      case 'restore-progress':
      case 'restore-end':
      case 'restore-resume':
        return await restoreStep(ctx, msg)
      default:
        assertNever(msg, 'backup catalog message')
    }
  }
}

type CatalogContext = EntityContext<BackupCatalogMsg, BackupCatalogState, BackupCatalogEvent>
type MsgOf<T extends BackupCatalogMsg['type']> = Extract<BackupCatalogMsg, { type: T }>

function known (state: BackupCatalogState, id: string): BackupEntry | undefined {
  return Object.hasOwn(state.backups, id) ? state.backups[id] : undefined
}

function restoreOf (state: BackupCatalogState, id: string): RestoreEntry | undefined {
  const restores = state.restores ?? {}
  return Object.hasOwn(restores, id) ? restores[id] : undefined
}

/** Why a backup may not begin (nor be resumed) now: another node removes chunks it could name. */
function lockedAgainst (state: BackupCatalogState, node: string, ts: number): BackupCatalogError | undefined {
  const held = state.lock
  if (held == null || held.node === node || held.until <= ts) return undefined
  return new BackupCatalogError(`${held.node} is removing backup chunks (until ${new Date(held.until).toISOString()} at the latest): start the backup once it is done`)
}

async function begin (ctx: CatalogContext, msg: MsgOf<'begin'>): Promise<void> {
  const was = known(ctx.state, msg.id)
  const locked = lockedAgainst(ctx.state, msg.node, msg.ts)
  if (locked !== undefined && was === undefined) return ctx.fail(msg.replyTo, locked)
  // a job's ask tried again after its first reached the journal and the answer did not reach it
  if (was !== undefined && was.state === 'running' && was.node === msg.node && was.keyFingerprint === msg.keyFingerprint && was.note === msg.note && was.startedAt === msg.ts) return ctx.reply(msg.replyTo, was)
  if (was !== undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} exists already`))
  if (Object.keys(ctx.state.backups).length >= MAX_BACKUPS) return ctx.fail(msg.replyTo, new BackupCatalogError(`the catalog holds ${MAX_BACKUPS} backups, the most it keeps: remove old ones (plexi admin backup rm ID) or set a retention`))
  await ctx.persist({ type: 'backup-began', id: msg.id, note: msg.note, keyFingerprint: msg.keyFingerprint, node: msg.node, ts: msg.ts })
  ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
}

async function end (ctx: CatalogContext, msg: MsgOf<'complete' | 'fail'>): Promise<void> {
  const entry = known(ctx.state, msg.id)
  if (entry === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no backup ${msg.id}`))
  // the same end asked again (its answer was lost) is answered as the first was
  if (msg.type === 'complete' && entry.state === 'done' && entry.root === msg.root && entry.endedAt === msg.ts) return ctx.reply(msg.replyTo, entry)
  if (msg.type === 'fail' && entry.state === 'failed' && entry.error === msg.error && entry.endedAt === msg.ts) return ctx.reply(msg.replyTo, entry)
  // the first end stands: a job that was declared failed cannot complete later, nor the other way
  if (entry.state !== 'running') return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} is ${entry.state} already`))
  if (msg.node !== undefined && msg.node !== entry.node) return ctx.fail(msg.replyTo, takenOver(entry))
  await ctx.persist(msg.type === 'complete'
    ? { type: 'backup-completed', id: msg.id, root: msg.root, manifest: msg.manifest, stats: msg.stats, ts: msg.ts }
    : { type: 'backup-failed', id: msg.id, error: msg.error, ts: msg.ts })
  ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
}

async function checkpoint (ctx: CatalogContext, msg: MsgOf<'checkpoint'>): Promise<void> {
  const entry = known(ctx.state, msg.id)
  if (entry === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no backup ${msg.id}`))
  if (entry.state !== 'running') return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} is ${entry.state} already`))
  if (msg.node !== entry.node) return ctx.fail(msg.replyTo, takenOver(entry))
  await ctx.persist({ type: 'backup-checkpointed', id: msg.id, checkpoint: msg.checkpoint, ts: msg.ts })
  ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
}

async function resume (ctx: CatalogContext, msg: MsgOf<'resume'>): Promise<void> {
  const entry = known(ctx.state, msg.id)
  if (entry === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no backup ${msg.id}`))
  if (entry.state !== 'running') return ctx.fail(msg.replyTo, new BackupCatalogError(`backup ${msg.id} is ${entry.state} already`))
  if (entry.node === msg.node && entry.node !== msg.from) return ctx.reply(msg.replyTo, entry)
  if (entry.node !== msg.from) return ctx.fail(msg.replyTo, takenOver(entry))
  const locked = lockedAgainst(ctx.state, msg.node, msg.ts)
  if (locked !== undefined) return ctx.fail(msg.replyTo, locked)
  await ctx.persist({ type: 'backup-resumed', id: msg.id, node: msg.node, ts: msg.ts })
  ctx.reply(msg.replyTo, ctx.state.backups[msg.id] as BackupEntry)
}

async function lock (ctx: CatalogContext, msg: MsgOf<'lock'>): Promise<void> {
  const held = ctx.state.lock
  if (held != null && held.node !== msg.node && held.until > msg.ts) {
    return ctx.fail(msg.replyTo, new BackupCatalogError(`${held.node} is removing backup chunks (until ${new Date(held.until).toISOString()} at the latest): try again once it is done`))
  }
  await ctx.persist({ type: 'catalog-locked', node: msg.node, until: msg.until })
  ctx.reply(msg.replyTo, { node: msg.node, until: msg.until })
}

async function restoreBegin (ctx: CatalogContext, msg: MsgOf<'restore-begin'>): Promise<void> {
  const was = restoreOf(ctx.state, msg.id)
  if (was !== undefined && was.state === 'running' && was.node === msg.node && was.backup === msg.backup && was.startedAt === msg.ts) return ctx.reply(msg.replyTo, was)
  if (was !== undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`restore ${msg.id} exists already`))
  if (known(ctx.state, msg.backup) === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no backup ${msg.backup}`))
  await ctx.persist({ type: 'restore-began', id: msg.id, backup: msg.backup, selection: msg.selection, total: msg.total, node: msg.node, ts: msg.ts })
  ctx.reply(msg.replyTo, restoreOf(ctx.state, msg.id) as RestoreEntry)
}

/** A running restore's progress, end or move to another node. */
async function restoreStep (ctx: CatalogContext, msg: MsgOf<'restore-progress' | 'restore-end' | 'restore-resume'>): Promise<void> {
  const entry = restoreOf(ctx.state, msg.id)
  if (entry === undefined) return ctx.fail(msg.replyTo, new BackupCatalogError(`no restore ${msg.id}`))
  // asked again after its answer was lost
  if (msg.type === 'restore-end' && entry.state !== 'running' && entry.node === msg.node && entry.endedAt === msg.ts && entry.error === msg.error) return ctx.reply(msg.replyTo, entry)
  if (msg.type === 'restore-resume' && entry.state === 'running' && entry.node === msg.node && entry.node !== msg.from) return ctx.reply(msg.replyTo, entry)
  if (entry.state !== 'running') return ctx.fail(msg.replyTo, new BackupCatalogError(`restore ${msg.id} is ${entry.state} already`))
  if (entry.node !== (msg.type === 'restore-resume' ? msg.from : msg.node)) {
    return ctx.fail(msg.replyTo, new BackupCatalogError(`restore ${msg.id} is being made by ${entry.node} now (it was resumed there)`))
  }
  if (msg.type === 'restore-progress') {
    if (msg.cursor > entry.total) return ctx.fail(msg.replyTo, new BackupCatalogError(`restore ${msg.id} has ${entry.total} entities, not ${msg.cursor}`))
    if (msg.cursor > entry.cursor) await ctx.persist({ type: 'restore-progressed', id: msg.id, cursor: msg.cursor })
  } else if (msg.type === 'restore-end') {
    await ctx.persist({ type: 'restore-ended', id: msg.id, error: msg.error, ts: msg.ts })
  } else {
    await ctx.persist({ type: 'restore-resumed', id: msg.id, node: msg.node })
  }
  ctx.reply(msg.replyTo, restoreOf(ctx.state, msg.id) as RestoreEntry)
}

function takenOver (entry: BackupEntry): BackupCatalogError {
  return new BackupCatalogError(`backup ${entry.id} is being made by ${entry.node} now (it was resumed there)`)
}

function applyRestoreEvent (was: Readonly<Record<string, RestoreEntry>>, event: BackupCatalogEvent): Record<string, RestoreEntry> {
  const restores = { ...was }
  if (!('id' in event)) return restores
  const entry = Object.hasOwn(restores, event.id) ? restores[event.id] : undefined
  switch (event.type) {
    case 'restore-began':
      restores[event.id] = {
        id: event.id, backup: event.backup, selection: event.selection, state: 'running', node: event.node, total: event.total, cursor: 0,
        startedAt: event.ts, endedAt: null, error: null, resumed: 0
      }
      break
    case 'restore-progressed':
      if (entry !== undefined) restores[event.id] = { ...entry, cursor: event.cursor }
      break
    case 'restore-ended': {
      if (entry === undefined) break
      restores[event.id] = { ...entry, state: event.error === null ? 'done' : 'failed', cursor: event.error === null ? entry.total : entry.cursor, endedAt: event.ts, error: event.error }
      // the oldest ended ones are forgotten
      const ended = Object.values(restores).filter((r) => r.state !== 'running').sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1))
      for (const r of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_RESTORES))) delete restores[r.id]
      break
    }
    case 'restore-resumed':
      if (entry !== undefined) restores[event.id] = { ...entry, node: event.node, resumed: entry.resumed + 1 }
      break
    default:
      break
  }
  return restores
}
