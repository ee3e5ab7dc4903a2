import type { Command } from 'commander'
import type { ScrubRow, StorageNodeRow } from '../../../protocols/index.ts'
import type { AdminClient } from '../../admin-client.ts'
import { byteSize } from '../../byte-size.ts'
import { isTerminal, printJson, printTable } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { ProgressBar } from '../../progress-bar.ts'
import type { AdminContext } from './admin-context.ts'
import { ago } from './ago.ts'

/** `plexi admin scrub`: a scrub pass on every storage node, followed (POST/GET /api/v1/scrub). */
export function scrubCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('scrub'), 'admin')
    .description('re-read every stored value on every storage node and check its SHA-256; damaged records are quarantined and put back from a healthy replica. Starts a pass now and waits for it, showing progress')
    .option('--status', 'only show where scrub stands on each node; start nothing')
    .option('--no-wait', 'start the passes and return')
    .action(withFlags(async (flags: ClientFlags & { status?: boolean, wait?: boolean }) => {
      const { api } = await cx.client(flags)
      let rows = await api.request<ScrubRow[]>(flags.status === true ? 'GET' : 'POST', '/api/v1/scrub', flags.status === true ? undefined : {})
      if (flags.status !== true && flags.wait !== false) rows = await followScrub(cx, api, rows, flags.json === true)
      if (flags.json === true) {
        printJson(cx.io, rows)
        return
      }
      printScrub(cx, rows)
    }))
}

/** `plexi admin storage`: the storage nodes, active, leaving or replaced (GET /api/v1/storage). */
export function storageCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('storage'), 'admin')
    .description('the storage nodes: active ones with how many of their partitions they hold whole (a new replica catches up before it counts), leaving ones (their storage role taken away: `plexi admin roles set <peer> chat`) with how far they handed their partitions off, and replaced ones (down past replica-replace-after); stop a leaving node once its hand-off is done')
    .action(withFlags(async (flags: ClientFlags) => {
      const rows = await (await cx.client(flags)).api.request<StorageNodeRow[]>('GET', '/api/v1/storage')
      if (flags.json === true) {
        printJson(cx.io, rows)
        return
      }
      printTable(cx.io, ['NODE', 'STATUS', 'STATE', 'HAND-OFF', 'CAUGHT UP'], rows.map((r) => [
        r.peerId, r.status, r.state,
        r.handOff === null ? (r.state === 'leaving' ? '?' : '-') : r.handOff.state === 'done' ? `done (${r.handOff.partitions} partitions): may be stopped` : `${r.handOff.state} ${r.handOff.done}/${r.handOff.partitions}${r.handOff.waiting.length > 0 ? `: ${r.handOff.waiting[0] ?? ''}` : ''}`,
        r.catchUp === null ? '?' : `${r.catchUp.caughtUp}/${r.catchUp.partitions}${r.catchUp.waiting.length > 0 ? `: ${r.catchUp.waiting[0] ?? ''}` : ''}`
      ]))
    }))
}

/** A pass started by this call: waits until no node scrubs. A bar on a terminal (the nodes
 * scrubbing at the start, a finished one counting whole), a line per change otherwise. */
async function followScrub ({ io }: AdminContext, api: AdminClient, started: ScrubRow[], json: boolean): Promise<ScrubRow[]> {
  let rows = started
  const bar = !json && isTerminal(io.stderr) ? new ProgressBar(io, 'scrub') : undefined
  const scrubbing = new Set(rows.filter((r) => r.running === true).map((r) => r.peerId))
  let shown = ''
  try {
    while (rows.some((r) => r.running === true)) {
      const running = rows.filter((r) => r.running === true)
      const percents = running.map((r) => `${Math.floor((r.progress ?? 0) * 100)}%`).join(', ')
      if (bar !== undefined) {
        const done = rows.filter((r) => scrubbing.has(r.peerId)).reduce((sum, r) => sum + (r.running === true ? (r.progress ?? 0) : 1), 0)
        bar.update(Math.round(done * 1000), scrubbing.size * 1000, `${scrubbing.size - running.length}/${scrubbing.size} nodes done`, `scrubbing: ${percents}`)
      } else if (!json) {
        const line = `scrubbing on ${running.length} nodes: ${percents}`
        if (line !== shown) io.stderr.write(`${line}\n`)
        shown = line
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
      rows = await api.request<ScrubRow[]>('GET', '/api/v1/scrub')
    }
  } finally {
    bar?.stop()
  }
  return rows
}

/** Each node's scrub as a table; exit 1 while damaged values stay quarantined. */
function printScrub ({ io }: AdminContext, rows: ScrubRow[]): void {
  const n = (v: number | null): string => v === null ? '?' : String(v)
  printTable(io, ['NODE', 'STATE', 'PROGRESS', 'CHECKED', 'READ', 'DAMAGED', 'REPAIRED', 'QUARANTINED', 'LAST PASS'], rows.map((r) => [
    r.peerId, !r.answered ? 'not answering' : r.running === true ? 'scrubbing' : 'idle', r.progress === null ? '?' : `${Math.floor(r.progress * 100)}%`,
    n(r.scanned), r.bytes === null ? '?' : byteSize(r.bytes), n(r.corruptFound), n(r.repaired), n(r.quarantined), r.lastPass === null ? '-' : ago(r.lastPass)
  ]))
  const quarantined = rows.reduce((sum, r) => sum + (r.quarantined ?? 0), 0)
  if (quarantined > 0) {
    io.stderr.write(`warning: ${quarantined} damaged values could not be repaired yet (no healthy replica answered); they stay quarantined and are tried again at each pass\n`)
    process.exitCode = 1
  }
}
