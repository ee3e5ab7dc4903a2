import type { Command } from 'commander'
import type { PartitionRow, RepairJob } from '../../../protocols/index.ts'
import { byteSize } from '../../byte-size.ts'
import { UsageError } from '../../cli-errors.ts'
import { isTerminal, printJson, printTable } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { ProgressBar } from '../../progress-bar.ts'
import type { AdminClient } from '../../admin-client.ts'
import type { AdminContext } from './admin-context.ts'
import { ago } from './ago.ts'

/** `plexi admin partitions`: every partition and its replicas (GET /api/v1/partitions). */
export function partitionsCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('partitions'), 'admin')
    .description('partitions and their replicas: entities and records each holds, its highest epoch, how far it lags the fullest replica')
    .option('--partition <n>', 'only this partition')
    .action(withFlags(async (flags: ClientFlags & { partition?: string }) => {
      // every page of the table (256 rows: one page of 1000)
      const query = flags.partition === undefined ? '' : `&partition=${partitionFlag(flags.partition)}`
      const { rows } = await (await cx.client(flags)).api.requestPages<PartitionRow>(`/api/v1/partitions?limit=1000${query}`)
      if (flags.json === true) {
        printJson(cx.io, rows)
        return
      }
      printPartitions(cx, rows)
    }))
}

/** `plexi admin repair`: a repair job, followed (POST /api/v1/repairs, then GET /api/v1/repairs/{id}). */
export function repairCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('repair'), 'admin')
    .description('compare every replica of every partition (or one) with the others by Merkle trees and move only what differs: records a replica missed, lost or holds damaged; waits and shows progress')
    .option('--partition <n>', 'only this partition')
    .option('--no-wait', 'start the job and print its id (follow it with GET /api/v1/repairs/<id>)')
    .action(withFlags(async (flags: ClientFlags & { partition?: string, wait?: boolean }) => {
      const body: { partition?: number } = {}
      if (flags.partition !== undefined) body.partition = Number(partitionFlag(flags.partition))
      const { api } = await cx.client(flags)
      let job = await api.request<RepairJob>('POST', '/api/v1/repairs', body)
      if (flags.wait !== false) job = await followRepair(cx, api, job, flags.json === true)
      if (flags.json === true) {
        printJson(cx.io, job)
        return
      }
      const { io } = cx
      const scope = job.partition === null ? `${job.partitions} partitions` : `partition ${job.partition}`
      const compared = job.comparisons === 0 ? 'no other replica to compare with' : `${job.comparisons} replica comparisons`
      io.stdout.write(job.state === 'running'
        ? `${job.id} started on ${scope}\n`
        : `${job.id} ${job.state}: ${scope}, ${compared}; ${job.recordsFilled} records filled (missed while a replica was down), ${job.recordsRepaired} repaired (missing or damaged), ${byteSize(job.bytes)} moved${job.divergent > 0 ? `, ${job.divergent} entities whose replicas part (left to their owners)` : ''}\n`)
      for (const f of job.failures) io.stderr.write(`warning: ${f}\n`)
      if (job.state === 'failed' || job.failures.length > 0) process.exitCode = 1
    }))
}

/** `--partition N`: a partition number (UsageError otherwise). */
function partitionFlag (value: string): string {
  if (!/^[0-9]{1,5}$/.test(value)) throw new UsageError(`--partition: expected a partition number, got ${JSON.stringify(value)}`)
  return value
}

function printPartitions ({ io }: AdminContext, rows: PartitionRow[]): void {
  const n = (v: number | null): string => v === null ? '?' : String(v)
  // the root's first 12 hex digits: enough to see which replicas agree
  const root = (v: string | null | undefined): string => v === null || v === undefined ? '?' : v.slice(0, 12)
  printTable(io, ['PARTITION', 'W', 'REPLICA', 'STATUS', 'ENTITIES', 'RECORDS', 'EPOCH', 'LAG', 'MERKLE ROOT', 'COMPARED', 'REPAIRED'], rows.flatMap((p) => p.replicas.map((r, i) => [
    i === 0 ? String(p.partition) : '', i === 0 ? String(p.writeQuorum) : '', r.peerId, r.status, n(r.entities), n(r.records), n(r.epoch), n(r.lag), root(r.merkleRoot),
    r.lastRepair === null || r.lastRepair === undefined ? '-' : ago(r.lastRepair), n(r.recordsRepaired ?? null)
  ])))
  const behind = rows.flatMap((p) => p.replicas).filter((r) => r.lag !== null && r.lag > 0).length
  const unknown = rows.flatMap((p) => p.replicas).filter((r) => r.lag === null).length
  const differ = rows.filter((p) => new Set(p.replicas.map((r) => r.merkleRoot).filter((x) => x !== null)).size > 1).length
  io.stdout.write(`${rows.length} partitions; ${behind} replicas behind, ${unknown} not answering, ${differ} partitions whose replicas' Merkle roots differ\n`)
}

/** Follows a repair until it ends: a bar on a terminal, a line per partition compared otherwise
 * (nothing with --json). */
async function followRepair ({ io }: AdminContext, api: AdminClient, started: RepairJob, json: boolean): Promise<RepairJob> {
  let job = started
  const bar = !json && isTerminal(io.stderr) ? new ProgressBar(io, job.id) : undefined
  let shown = -1
  try {
    while (job.state === 'running') {
      const moved = `${job.recordsFilled + job.recordsRepaired} records moved`
      if (bar !== undefined) bar.update(job.partitionsDone, job.partitions, `${job.partitionsDone}/${job.partitions} partitions`, moved)
      else if (!json && job.partitionsDone !== shown) io.stderr.write(`${job.id}: ${job.partitionsDone}/${job.partitions} partitions compared, ${moved}\n`)
      shown = job.partitionsDone
      await new Promise((resolve) => setTimeout(resolve, 250))
      job = await api.request<RepairJob>('GET', `/api/v1/repairs/${job.id}`)
    }
  } finally {
    bar?.stop()
  }
  return job
}
