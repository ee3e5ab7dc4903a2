import type { Command } from 'commander'
import { UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { integer } from '../../flag-values.ts'
import type { AdminContext } from './admin-context.ts'

interface RoomRow { name: string, createdAt: number, createdBy: string, active: boolean }
type Retention = { days?: number, posts?: number }
interface RetentionView { defaults: Retention | null, rooms: Record<string, Retention | 'forever'> }
interface RedactAck { room: string, seq: number, redactionSeq: number, ts: number, already: boolean }

type RetentionFlags = ClientFlags & { days?: string, posts?: string, off?: boolean, default?: boolean }

/** `plexi admin rooms [ls|redact|retention]` (GET /api/v1/rooms, POST /api/v1/rooms/{room}/redact,
 * PUT /api/v1/rooms/{room}/retention) and `plexi admin retention [show|run]` (GET /api/v1/retention,
 * POST /api/v1/retention/run, a job). */
export function roomsCommands (admin: Command, cx: AdminContext): void {
  const rooms = admin.command('rooms').description('rooms: list, redact any post, set what each keeps')
  withClientOptions(rooms.command('ls', { isDefault: true }), 'admin')
    .description('list the rooms (the default: `plexi admin rooms`)')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await cx.client(flags)).api.request<RoomRow[]>('GET', '/api/v1/rooms')
      if (flags.json === true) printJson(cx.io, list)
      else printTable(cx.io, ['NAME', 'CREATED', 'BY', 'ACTIVE HERE'], list.map((r) => [r.name, new Date(r.createdAt).toISOString(), r.createdBy, r.active ? 'yes' : 'no']))
    }))
  withClientOptions(rooms.command('redact <room> <seq>'), 'admin')
    .description('redact any post of a room as an admin: history shows it without its text, subscribers get a redaction, the text is removed from every replica (--json: {room, seq, redactionSeq, ts, already})')
    .action(withFlags(async (room: string, seqText: string, flags: ClientFlags) => {
      const seq = integer(seqText, 'SEQ', 1, Number.MAX_SAFE_INTEGER)
      const ack = await (await cx.client(flags)).api.request<RedactAck>('POST', `/api/v1/rooms/${encodeURIComponent(room)}/redact`, { seq })
      if (flags.json === true) printJson(cx.io, ack)
      else cx.io.stdout.write(ack.already ? `#${ack.seq} in ${ack.room} was redacted already\n` : `redacted #${ack.seq} in ${ack.room} (redaction #${ack.redactionSeq})\n`)
    }))
  withClientOptions(rooms.command('retention <room>'), 'admin')
    .description('set what a room keeps: --days N and/or --posts N (a record goes when either says so), --off (keep everything, whatever the cluster default), or --default (follow retention-days / retention-posts). Records go when `plexi admin retention run` runs')
    .option('--days <n>', 'keep the records of the last N days (1-36500)')
    .option('--posts <n>', 'keep the last N records (1-1000000000)')
    .option('--off', 'keep everything in this room')
    .option('--default', 'follow the cluster\'s default retention')
    .action(withFlags(async (room: string, flags: RetentionFlags) => {
      const setting = retentionSetting(flags)
      const view = await (await cx.client(flags)).api.request<RetentionView>('PUT', `/api/v1/rooms/${encodeURIComponent(room)}/retention`, { setting })
      if (flags.json === true) printJson(cx.io, view)
      else cx.io.stdout.write(`${room} ${describeSetting(view.rooms[room], view.defaults)}\n`)
    }))

  const retention = admin.command('retention').description('what rooms keep, and the job that drops the rest on every replica')
  withClientOptions(retention.command('show', { isDefault: true }), 'admin')
    .description('the cluster\'s default retention and the rooms with one of their own (the default: `plexi admin retention`)')
    .action(withFlags(async (flags: ClientFlags) => {
      const view = await (await cx.client(flags)).api.request<RetentionView>('GET', '/api/v1/retention')
      if (flags.json === true) {
        printJson(cx.io, view)
        return
      }
      cx.io.stdout.write(`default: ${view.defaults === null ? 'keep forever' : describeRetention(view.defaults)}\n`)
      printTable(cx.io, ['ROOM', 'KEEPS'], Object.entries(view.rooms).map(([name, r]) => [name, r === 'forever' ? 'everything' : describeRetention(r)]))
    }))
  withClientOptions(retention.command('run'), 'admin')
    .description('apply retention now: every room drops what it no longer keeps on every replica, and the storage nodes give the space back; shows the job\'s progress (exit 0 done, 1 failed)')
    .option('--no-wait', 'start the retention job and return its id')
    .action(withFlags(async (flags: ClientFlags & { wait?: boolean }) => {
      await cx.startJob(flags, '/api/v1/retention/run', undefined)
    }))
}

/** The setting the flags say: exactly one of --off, --default, or --days and/or --posts. */
export function retentionSetting (flags: RetentionFlags): Retention | 'forever' | null {
  const kinds = [flags.off === true, flags.default === true, flags.days !== undefined || flags.posts !== undefined].filter(Boolean).length
  if (kinds !== 1) throw new UsageError('give one of --days N and/or --posts N, --off, or --default')
  if (flags.off === true) return 'forever'
  if (flags.default === true) return null
  return {
    ...(flags.days !== undefined && { days: integer(flags.days, '--days', 1, 36_500) }),
    ...(flags.posts !== undefined && { posts: integer(flags.posts, '--posts', 1, 1_000_000_000) })
  }
}

function describeRetention (r: Retention): string {
  return [r.days !== undefined ? `the last ${r.days} days` : '', r.posts !== undefined ? `the last ${r.posts} records` : ''].filter((s) => s.length > 0).join(' and ')
}

function describeSetting (own: Retention | 'forever' | undefined, defaults: Retention | null): string {
  if (own === 'forever') return 'keeps everything'
  if (own !== undefined) return `keeps ${describeRetention(own)}`
  return `follows the default: ${defaults === null ? 'keep forever' : `keeps ${describeRetention(defaults)}`}`
}
