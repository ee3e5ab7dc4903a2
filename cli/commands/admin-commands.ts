import { randomUUID } from 'node:crypto'
import { Command } from 'commander'
import { adminSchemas } from '../../protocols/index.ts'
import type { Job, Member, PartitionRow, RepairJob, ScrubRow, StorageNodeRow } from '../../protocols/index.ts'
import { AdminClient } from '../admin-client.ts'
import { TOP_INTERVAL_MS, adminTop } from '../admin-top.ts'
import { byteSize } from '../byte-size.ts'
import { CliError, UsageError } from '../cli-errors.ts'
import { followJob, jobExitCode, jobProgress } from '../follow-job.ts'
import { isTerminal, printJson, printTable } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'
import { adminConnection, withClientOptions, withFlags } from '../client-options.ts'
import { integer } from '../flag-values.ts'
import { ProgressBar } from '../progress-bar.ts'
import { SavedTokens } from '../saved-tokens.ts'
import { shortPeer } from '../short-peer.ts'
import type { ClientFlags } from '../client-options.ts'

interface User { name: string, createdAt: number }
interface BackupRow {
  id: string
  state: string
  note: string
  keyFingerprint: string
  node: string
  startedAt: number
  endedAt: number | null
  error: string | null
  root: string | null
  manifest: { digest: string, bytes: number, holders: string[] } | null
  stats: { partitions: number, entities: number, records: number, bytes: number, chunks: number, newChunks: number, newBytes: number } | null
  checkpoint: { digest: string, bytes: number, holders: string[] } | null
  resumed: number
}

function mib (bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`
}
interface AuditRow { seq: number, ts: number, actor: string, node: string, ip: string, action: string, target: string, outcome: string, status: number, detail: string, prev: string, hash: string }
interface Actor { kind: string, path: string, key: string | null, status: string, mailbox: number, node: string }

export function adminCommands (io: CliIo): Command {
  // connection and output flags go before the subcommand or after it (the last one given wins)
  const admin = withClientOptions(new Command('admin')
    .description('drive a node over its admin endpoint (token: --admin-token, PLEXI_ADMIN_TOKEN or <data-dir>/admin-token)'), 'admin')
  const client = async (flags: ClientFlags): Promise<{ api: AdminClient, local: boolean, dataDir: string }> => {
    const connection = await adminConnection(flags, io)
    return { api: new AdminClient(connection.url, connection.token, connection.tls), local: connection.local, dataDir: connection.dataDir }
  }

  const users = admin.command('users').description('users and their tokens')
  withClientOptions(users.command('add <name>'), 'admin')
    .description('create a user and print their token (shown once); beside the node the token is also saved in <data-dir>/tokens/<name>, and the first user saved there is the default of chat and agent commands')
    .option('--save', 'save the token in <data-dir>/tokens/<name> (mode 0600) even when the admin token did not come from the data dir')
    .option('--no-save', 'do not save the token')
    .option('--default', 'make this user the default of chat and agent commands on this machine (the first one saved is)')
    .action(withFlags(async (name: string, flags: ClientFlags & { save?: boolean, default?: boolean }) => {
      const { api, local, dataDir } = await client(flags)
      // a client id makes a retry safe when an answer is lost: the node answers a try that finds
      // the user stored by an earlier one with the user and a new token (the lost one stops working)
      const clientId = randomUUID()
      let created: User & { token: string }
      try {
        created = await api.requestIdempotent<User & { token: string }>('POST', '/api/v1/users', { name, clientId }, {
          onRetry: (err, ms) => { io.stderr.write(`plexi: no answer yet (${err.message}); trying again in ${ms} ms (safe: the same request id)\n`) }
        })
      } catch (err) {
        if (err instanceof CliError && api.unknownOutcome(err)) throw new CliError(`${err.message}\nuser ${name} may have been created without its token reaching you: \`plexi admin users\` lists the users; if it is there, \`plexi admin users rm ${name}\` and add it again`)
        throw err
      }
      const saved = new SavedTokens(dataDir)
      const save = flags.save ?? local
      const isDefault = save ? await saved.save(created.name, created.token, flags.default === true) : false
      if (flags.json === true) {
        printJson(io, { name: created.name, token: created.token, createdAt: created.createdAt, ...(save && { savedTo: saved.path(created.name), default: isDefault }) })
        return
      }
      io.stdout.write(`user ${created.name} created; token (shown once):\n${created.token}\n`)
      if (!save) return
      io.stdout.write(`saved to ${saved.path(created.name)}: \`plexi chat --user ${created.name} --room general\` finds it there\n`)
      if (isDefault) io.stdout.write(`${created.name} is the default user of chat and agent commands here: \`plexi chat --room general\` is ${created.name}\n`)
    }))
  withClientOptions(users.command('ls', { isDefault: true }), 'admin')
    .description('list users (the default: `plexi admin users`)')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await client(flags)).api.request<User[]>('GET', '/api/v1/users')
      if (flags.json === true) printJson(io, list)
      else printTable(io, ['NAME', 'CREATED'], list.map((u) => [u.name, new Date(u.createdAt).toISOString()]))
    }))
  withClientOptions(users.command('rm <name>'), 'admin')
    .description('remove a user and revoke their token')
    .action(withFlags(async (name: string, flags: ClientFlags) => {
      const { api, dataDir } = await client(flags)
      const removed = await api.request<User>('DELETE', `/api/v1/users/${encodeURIComponent(name)}`)
      // a revoked token is useless: it does not stay behind in the data dir
      const saved = new SavedTokens(dataDir)
      const forgotten = await saved.remove(removed.name)
      if (flags.json === true) {
        printJson(io, { ...removed, tokenFileRemoved: forgotten.token })
        return
      }
      io.stdout.write(`user ${removed.name} removed; their token no longer works\n`)
      if (forgotten.token) io.stdout.write(`removed the saved token ${saved.path(removed.name)}${forgotten.wasDefault ? ` (${removed.name} was the default user)` : ''}\n`)
    }))

  const tokens = admin.command('tokens').description('this node\'s named admin tokens: read-only (scope read) or full (scope admin), each revocable')
  withClientOptions(tokens.command('add <name>'), 'admin')
    .description('make a named admin token for this node and print it (shown once): scope read may only read (the dashboard, listings, metrics streams), scope admin may do everything')
    .option('--scope <scope>', 'read or admin', 'read')
    .action(withFlags(async (name: string, flags: ClientFlags & { scope: string }) => {
      if (flags.scope !== 'read' && flags.scope !== 'admin') throw new UsageError(`--scope: expected read or admin, got ${JSON.stringify(flags.scope)}`)
      const made = await (await client(flags)).api.request<{ name: string, scope: string, token: string, createdAt: number }>('POST', '/api/v1/tokens', { name, scope: flags.scope })
      if (flags.json === true) {
        printJson(io, made)
        return
      }
      io.stdout.write(`admin token ${made.name} (scope ${made.scope}) created on this node; token (shown once):\n${made.token}\n`)
    }))
  withClientOptions(tokens.command('ls', { isDefault: true }), 'admin')
    .description('list this node\'s named admin tokens (names and scopes; the tokens are kept only as hashes)')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await client(flags)).api.request<Array<{ name: string, scope: string, createdAt: number }>>('GET', '/api/v1/tokens')
      if (flags.json === true) printJson(io, list)
      else printTable(io, ['NAME', 'SCOPE', 'CREATED'], list.map((t) => [t.name, t.scope, new Date(t.createdAt).toISOString()]))
    }))
  withClientOptions(tokens.command('rm <name>'), 'admin')
    .description('revoke a named admin token: it stops working at once')
    .action(withFlags(async (name: string, flags: ClientFlags) => {
      const removed = await (await client(flags)).api.request<{ name: string, scope: string }>('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`)
      if (flags.json === true) printJson(io, removed)
      else io.stdout.write(`admin token ${removed.name} revoked; it no longer works\n`)
    }))

  const audit = admin.command('audit').description('the audit trail: every admin action and failed admin authentication on any member, hash-chained')
  withClientOptions(audit.command('ls', { isDefault: true }), 'admin')
    .description('list audit records, oldest first (the default: `plexi admin audit`)')
    .option('--after <seq>', 'only records after this seq', '0')
    .option('--limit <n>', 'at most this many records, 1 to 1000', '100')
    .action(withFlags(async (flags: ClientFlags & { after: string, limit: string }) => {
      const after = integer(flags.after, '--after', 0, Number.MAX_SAFE_INTEGER)
      const limit = integer(flags.limit, '--limit', 1, 1000)
      const { records } = await (await client(flags)).api.request<{ records: AuditRow[] }>('GET', `/api/v1/audit?after=${after}&limit=${limit}`)
      if (flags.json === true) {
        printJson(io, records)
        return
      }
      printTable(io, ['SEQ', 'TIME', 'ACTOR', 'FROM', 'NODE', 'ACTION', 'TARGET', 'OUTCOME', 'DETAIL'], records.map((r) => [
        String(r.seq), new Date(r.ts).toISOString(), r.actor, r.ip, shortPeer(r.node), r.action, r.target, `${r.outcome} ${r.status}`, r.detail
      ]))
      if (records.length === limit) io.stderr.write(`(${limit} shown; more with --after ${records.at(-1)?.seq ?? after})\n`)
    }))
  withClientOptions(audit.command('verify'), 'admin')
    .description('read the whole trail and check that every record follows the one before (its hash and its link); exit 1 when the chain is broken, saying where')
    .action(withFlags(async (flags: ClientFlags) => {
      const verdict = await (await client(flags)).api.request<{ ok: boolean, records: number, head: { seq: number, hash: string }, brokenAt: number | null, reason: string | null }>('GET', '/api/v1/audit/verify')
      if (!verdict.ok) process.exitCode = 1
      if (flags.json === true) {
        printJson(io, verdict)
        return
      }
      if (verdict.ok) io.stdout.write(`audit trail whole: ${verdict.records} records, each following the one before; head ${verdict.head.hash}\n`)
      else io.stdout.write(`audit trail BROKEN at record ${String(verdict.brokenAt)}: ${verdict.reason ?? ''} (${verdict.records} records before it are whole)\n`)
    }))

  withClientOptions(admin.command('cluster'), 'admin')
    .description('this node and every member: peer id, roles, addresses, status, load; then whether writes are available (storage nodes up against the replicas a write needs)')
    .action(withFlags(async (flags: ClientFlags) => {
      const cluster = await (await client(flags)).api.request<{ self: Member, members: Member[], writes?: WritesState }>('GET', '/api/v1/cluster')
      if (flags.json === true) printJson(io, cluster)
      else {
        printMembers(io, cluster.members, cluster.self.peerId)
        if (cluster.writes !== undefined) io.stdout.write(`${writesLine(cluster.writes)}\n`)
      }
    }))
  withClientOptions(admin.command('nodes'), 'admin')
    .description('every member')
    .action(withFlags(async (flags: ClientFlags) => {
      const nodes = await (await client(flags)).api.request<Member[]>('GET', '/api/v1/nodes')
      if (flags.json === true) printJson(io, nodes)
      else printMembers(io, nodes)
    }))
  withClientOptions(admin.command('top'), 'admin')
    .description('a live view of the cluster, like top: every member (roles, status, uptime, actors, entities, mailbox, RSS) and this node\'s rates (posts/s, deliveries/s, asks/s, ask mean and p99 latency, tokens/s), redrawn in place; q or Ctrl-C quits. Not on a terminal, or with --once, one frame')
    .option('--interval <ms>', `ms between two looks at the node, ${TOP_INTERVAL_MS.min} to ${TOP_INTERVAL_MS.max}`, String(TOP_INTERVAL_MS.default))
    .option('--once', 'print one frame and exit (what a pipe gets anyway)')
    .addHelpText('after', `
With --json: { members, stats } once, where members is GET /api/v1/nodes and stats GET /api/v1/stats
({ node, intervalMs, samples }, the newest sample last; null from a node that serves no stats).

Examples:
  plexi admin top                        # live; q quits
  plexi admin top --interval 5000        # a look every 5 s
  plexi admin top --once                 # one frame, for a log or a ticket
  plexi admin top --json | jq '.stats.samples[-1].postsPerSec'`)
    .action(withFlags(async (flags: ClientFlags & { interval: string, once?: boolean }) => {
      const intervalMs = integer(flags.interval, '--interval', TOP_INTERVAL_MS.min, TOP_INTERVAL_MS.max)
      const connection = await adminConnection(flags, io)
      await adminTop(new AdminClient(connection.url, connection.token, connection.tls), io, { intervalMs, once: flags.once, json: flags.json, endpoint: connection.url.replace(/^https?:\/\//, '') })
    }))
  withClientOptions(admin.command('actors'), 'admin')
    .description('live actors and active entities')
    .option('--type <type>', 'only this kind or entity type (room, users, rooms, ...)')
    .action(withFlags(async (flags: ClientFlags & { type?: string }) => {
      const query = flags.type === undefined ? '' : `?type=${encodeURIComponent(flags.type)}`
      const actors = await (await client(flags)).api.request<Actor[]>('GET', `/api/v1/actors${query}`)
      if (flags.json === true) printJson(io, actors)
      else printTable(io, ['KIND', 'PATH', 'STATUS', 'MAILBOX', 'NODE'], actors.map((a) => [a.kind, a.path, a.status, String(a.mailbox), a.node]))
    }))
  withClientOptions(admin.command('partitions'), 'admin')
    .description('partitions and their replicas: entities and records each holds, its highest epoch, how far it lags the fullest replica')
    .option('--partition <n>', 'only this partition')
    .action(withFlags(async (flags: ClientFlags & { partition?: string }) => {
      let query = ''
      if (flags.partition !== undefined) {
        if (!/^[0-9]{1,5}$/.test(flags.partition)) throw new UsageError(`--partition: expected a partition number, got ${JSON.stringify(flags.partition)}`)
        query = `?partition=${flags.partition}`
      }
      const rows = await (await client(flags)).api.request<PartitionRow[]>('GET', `/api/v1/partitions${query}`)
      if (flags.json === true) {
        printJson(io, rows)
        return
      }
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
    }))
  withClientOptions(admin.command('repair'), 'admin')
    .description('compare every replica of every partition (or one) with the others by Merkle trees and move only what differs: records a replica missed, lost or holds damaged; waits and shows progress')
    .option('--partition <n>', 'only this partition')
    .option('--no-wait', 'start the job and print its id (follow it with GET /api/v1/repairs/<id>)')
    .action(withFlags(async (flags: ClientFlags & { partition?: string, wait?: boolean }) => {
      const body: { partition?: number } = {}
      if (flags.partition !== undefined) {
        if (!/^[0-9]{1,5}$/.test(flags.partition)) throw new UsageError(`--partition: expected a partition number, got ${JSON.stringify(flags.partition)}`)
        body.partition = Number(flags.partition)
      }
      const { api } = await client(flags)
      let job = await api.request<RepairJob>('POST', '/api/v1/repairs', body)
      if (flags.wait !== false) {
        // a bar on a terminal, a line per partition compared otherwise (nothing with --json)
        const bar = flags.json !== true && isTerminal(io.stderr) ? new ProgressBar(io, job.id) : undefined
        let shown = -1
        try {
          while (job.state === 'running') {
            const moved = `${job.recordsFilled + job.recordsRepaired} records moved`
            if (bar !== undefined) bar.update(job.partitionsDone, job.partitions, `${job.partitionsDone}/${job.partitions} partitions`, moved)
            else if (flags.json !== true && job.partitionsDone !== shown) io.stderr.write(`${job.id}: ${job.partitionsDone}/${job.partitions} partitions compared, ${moved}\n`)
            shown = job.partitionsDone
            await new Promise((resolve) => setTimeout(resolve, 250))
            job = await api.request<RepairJob>('GET', `/api/v1/repairs/${job.id}`)
          }
        } finally {
          bar?.stop()
        }
      }
      if (flags.json === true) {
        printJson(io, job)
        return
      }
      const scope = job.partition === null ? `${job.partitions} partitions` : `partition ${job.partition}`
      const compared = job.comparisons === 0 ? 'no other replica to compare with' : `${job.comparisons} replica comparisons`
      io.stdout.write(job.state === 'running'
        ? `${job.id} started on ${scope}\n`
        : `${job.id} ${job.state}: ${scope}, ${compared}; ${job.recordsFilled} records filled (missed while a replica was down), ${job.recordsRepaired} repaired (missing or damaged), ${byteSize(job.bytes)} moved${job.divergent > 0 ? `, ${job.divergent} entities whose replicas part (left to their owners)` : ''}\n`)
      for (const f of job.failures) io.stderr.write(`warning: ${f}\n`)
      if (job.state === 'failed' || job.failures.length > 0) process.exitCode = 1
    }))
  withClientOptions(admin.command('scrub'), 'admin')
    .description('re-read every stored value on every storage node and check its SHA-256; damaged records are quarantined and put back from a healthy replica. Starts a pass now and waits for it, showing progress')
    .option('--status', 'only show where scrub stands on each node; start nothing')
    .option('--no-wait', 'start the passes and return')
    .action(withFlags(async (flags: ClientFlags & { status?: boolean, wait?: boolean }) => {
      const { api } = await client(flags)
      let rows = await api.request<ScrubRow[]>(flags.status === true ? 'GET' : 'POST', '/api/v1/scrub', flags.status === true ? undefined : {})
      if (flags.status !== true && flags.wait !== false) {
        // a pass started by this call: wait until no node scrubs. A bar on a terminal (the nodes
        // scrubbing at the start, a finished one counting whole), a line per change otherwise
        const bar = flags.json !== true && isTerminal(io.stderr) ? new ProgressBar(io, 'scrub') : undefined
        const scrubbing = new Set(rows.filter((r) => r.running === true).map((r) => r.peerId))
        let shown = ''
        try {
          while (rows.some((r) => r.running === true)) {
            const running = rows.filter((r) => r.running === true)
            const percents = running.map((r) => `${Math.floor((r.progress ?? 0) * 100)}%`).join(', ')
            if (bar !== undefined) {
              const done = rows.filter((r) => scrubbing.has(r.peerId)).reduce((sum, r) => sum + (r.running === true ? (r.progress ?? 0) : 1), 0)
              bar.update(Math.round(done * 1000), scrubbing.size * 1000, `${scrubbing.size - running.length}/${scrubbing.size} nodes done`, `scrubbing: ${percents}`)
            } else if (flags.json !== true) {
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
      }
      if (flags.json === true) {
        printJson(io, rows)
        return
      }
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
    }))
  withClientOptions(admin.command('storage'), 'admin')
    .description('the storage nodes: active ones with how many of their partitions they hold whole (a new replica catches up before it counts), leaving ones (their storage role taken away: `plexi admin roles set <peer> chat`) with how far they handed their partitions off, and replaced ones (down past replica-replace-after); stop a leaving node once its hand-off is done')
    .action(withFlags(async (flags: ClientFlags) => {
      const rows = await (await client(flags)).api.request<StorageNodeRow[]>('GET', '/api/v1/storage')
      if (flags.json === true) {
        printJson(io, rows)
        return
      }
      printTable(io, ['NODE', 'STATUS', 'STATE', 'HAND-OFF', 'CAUGHT UP'], rows.map((r) => [
        r.peerId, r.status, r.state,
        r.handOff === null ? (r.state === 'leaving' ? '?' : '-') : r.handOff.state === 'done' ? `done (${r.handOff.partitions} partitions): may be stopped` : `${r.handOff.state} ${r.handOff.done}/${r.handOff.partitions}${r.handOff.waiting.length > 0 ? `: ${r.handOff.waiting[0] ?? ''}` : ''}`,
        r.catchUp === null ? '?' : `${r.catchUp.caughtUp}/${r.catchUp.partitions}${r.catchUp.waiting.length > 0 ? `: ${r.catchUp.waiting[0] ?? ''}` : ''}`
      ]))
    }))
  withClientOptions(admin.command('jobs [id]'), 'admin')
    .description('long operations of every member (drains, decommissions, rebalances, migrations, repairs) with their progress: a table, the newest first; with an ID, that job in full (what is left and why), --watch to follow it, --cancel to cancel it')
    .option('--watch', 'follow the job until it ends: a progress bar on a terminal, one line per change otherwise, one JSON line per change with --json; Ctrl-C stops following, not the job. Exit 0 when it is done, 1 when it failed or was cancelled')
    .option('--cancel', 'cancel the job wherever it runs; prints it once it stopped (exit 1 if it had already ended)')
    .option('--kind <kind>', `list only jobs of this kind: ${adminSchemas.JOB_KINDS.join(', ')}`)
    .option('--state <state>', `list only jobs in this state: ${adminSchemas.JOB_STATES.join(', ')}`)
    .addHelpText('after', `
A job id is KIND-N-XXXX (drain-3-k7f2): the Nth job of its kind on the node whose peer id ends in XXXX.
Jobs live in memory on the node that runs them (its last 100 finished ones, until it restarts).

Examples:
  plexi admin jobs                          # every member's jobs: ID KIND NODE TARGET STATE PROGRESS AGE MESSAGE
  plexi admin jobs --state running --json   # {"jobs": [...], "unreachable": [peer ids that did not answer]}
  plexi admin jobs repair-1-k7f2            # one job, with what is left and why
  plexi admin jobs repair-1-k7f2 --watch    # follow it until it ends
  plexi admin jobs repair-1-k7f2 --cancel`)
    .action(withFlags(async (id: string | undefined, flags: ClientFlags & { watch?: boolean, cancel?: boolean, kind?: string, state?: string }) => {
      const kind = checkedValue('--kind', flags.kind, adminSchemas.JOB_KINDS)
      const state = checkedValue('--state', flags.state, adminSchemas.JOB_STATES)
      if (id === undefined) {
        if (flags.watch === true || flags.cancel === true) throw new UsageError(`${flags.watch === true ? '--watch' : '--cancel'} needs a job id: plexi admin jobs ID ${flags.watch === true ? '--watch' : '--cancel'} (plexi admin jobs lists them)`)
        const query = new URLSearchParams({ ...(kind !== undefined && { kind }), ...(state !== undefined && { state }) }).toString()
        const listed = await (await client(flags)).api.request<{ jobs: Job[], unreachable: string[] }>('GET', `/api/v1/jobs${query === '' ? '' : `?${query}`}`)
        if (flags.json === true) printJson(io, listed)
        else printJobs(io, listed.jobs)
        if (listed.unreachable.length > 0) io.stderr.write(`warning: ${listed.unreachable.length} members did not answer; their jobs are not listed: ${listed.unreachable.join(', ')}\n`)
        return
      }
      if (!adminSchemas.JOB_ID_PATTERN.test(id)) throw new UsageError(`job id: expected KIND-N-XXXX such as drain-3-k7f2 (plexi admin jobs lists them), got ${JSON.stringify(id.slice(0, 80))}`)
      if (kind !== undefined || state !== undefined) throw new UsageError('--kind and --state filter the listing; leave them out with a job id')
      const { api } = await client(flags)
      const path = `/api/v1/jobs/${encodeURIComponent(id)}`
      // a job no member has: the node's words ("no job X on any member ..."), not the request's
      const unknownJob = (err: unknown): never => {
        if (err instanceof CliError && err.answer?.status === 404) throw new CliError(err.answer.message)
        throw err
      }
      if (flags.cancel === true) {
        const job = await api.request<Job>('POST', `${path}/cancel`).catch(unknownJob)
        if (job.state !== 'running' && job.state !== 'cancelled') {
          if (flags.json === true) printJson(io, job)
          throw new CliError(`job ${id} had already ended (${job.state}): nothing to cancel`)
        }
        if (flags.watch === true && job.state === 'running') {
          const final = await followJob(api, id, io, { json: flags.json })
          if (final.state !== 'cancelled') process.exitCode = jobExitCode(final)
          return
        }
        if (flags.json === true) {
          printJson(io, job)
          return
        }
        io.stdout.write(job.state === 'cancelled'
          ? `${id} cancelled: ${job.message}\n`
          : `${id} is stopping (${job.message}); follow it with plexi admin jobs ${id} --watch\n`)
        return
      }
      if (flags.watch === true) {
        const final = await followJob(api, id, io, { json: flags.json }).catch(unknownJob)
        process.exitCode = jobExitCode(final)
        return
      }
      const job = await api.request<Job>('GET', path).catch(unknownJob)
      if (flags.json === true) printJson(io, job)
      else printJob(io, job)
    }))
  /** Starts a job through `path` and follows it (unless --no-wait): exit 0 done, 1 failed. */
  const startJob = async (flags: ClientFlags & { wait?: boolean }, path: string, body: object | undefined): Promise<void> => {
    const { api } = await client(flags)
    const job = await api.request<Job>('POST', path, body)
    if (flags.wait === false) {
      if (flags.json === true) printJson(io, job)
      else io.stdout.write(`${job.id} started: ${job.message}; follow it with plexi admin jobs ${job.id} --watch\n`)
      return
    }
    process.exitCode = jobExitCode(await followJob(api, job.id, io, { json: flags.json }))
  }
  withClientOptions(admin.command('migrate <entity>'), 'admin')
    .description('move one entity (TYPE/KEY, e.g. room/general or agent/alice) live to a member of its role: its messages wait for the move, its work in progress finishes first, its clients notice nothing. It stays pinned there while it is active (a member joining does not take it); once it passivates, placement decides again')
    .requiredOption('--to <peer>', 'peer id of the member to move it to (plexi admin nodes lists them)')
    .option('--no-wait', 'start the migrate job and return its id')
    .addHelpText('after', `
Examples:
  plexi admin migrate room/general --to 12D3KooW...     # a progress bar, then how it ended (exit 0 moved, 1 failed)
  plexi admin migrate agent/alice --to 12D3KooW... --json`)
    .action(withFlags(async (entity: string, flags: ClientFlags & { to: string, wait?: boolean }) => {
      const slash = entity.indexOf('/')
      if (slash <= 0 || slash === entity.length - 1) throw new UsageError(`migrate: expected TYPE/KEY such as room/general, got ${JSON.stringify(entity.slice(0, 80))}`)
      await startJob(flags, `/api/v1/actors/${encodeURIComponent(entity.slice(0, slash))}/${encodeURIComponent(entity.slice(slash + 1))}/migrate`, { to: flags.to })
    }))
  withClientOptions(admin.command('drain <peer>'), 'admin')
    .description('drain a member: it stops taking clients (/readyz 503), its entities move live to the others, then it exits (start it again to bring it back). Ask through another member\'s --admin-addr: the drained node exits. Refused when fewer storage nodes than a write needs would be left up (--force drains it anyway). Shows the drain job\'s progress')
    .option('--no-wait', 'start the drain job and return its id')
    .option('--force', 'drain it even if writes would stop (too few storage nodes left up for the write quorum); the audit trail records it as forced')
    .action(withFlags(async (peer: string, flags: ClientFlags & { wait?: boolean, force?: boolean }) => {
      await startJob(flags, `/api/v1/nodes/${encodeURIComponent(peer)}/drain`, forceBody(flags))
    }))
  withClientOptions(admin.command('decommission <peer>'), 'admin')
    .description('remove a member for good: it drops its roles, its entities move live, its storage partitions are handed off to their new replicas, then it exits and the cluster forgets it (its data dir never starts a node again). Refused while it is the only member with a role, when too few storage nodes would be left for the replication factor, or fewer up than a write needs (--force for that one). Shows the job\'s progress')
    .option('--no-wait', 'start the decommission job and return its id')
    .option('--force', 'decommission it even if writes would stop (too few storage nodes left up for the write quorum); the audit trail records it as forced')
    .action(withFlags(async (peer: string, flags: ClientFlags & { wait?: boolean, force?: boolean }) => {
      await startJob(flags, `/api/v1/nodes/${encodeURIComponent(peer)}/decommission`, forceBody(flags))
    }))
  const backup = admin.command('backup').description('the cluster\'s encrypted backups (the key: the node\'s --backup-key-file)')
  withClientOptions(backup.command('create'), 'admin')
    .description('back up every partition: chunked, each chunk sealed under its own key derived from the master key, stored on backup-role members; shows the job\'s progress (exit 0 done, 1 failed). Needs a node started with --backup-key-file')
    .option('--note <text>', 'a note shown by backup ls (at most 1000 characters)')
    .option('--no-wait', 'start the backup job and return its id')
    .action(withFlags(async (flags: ClientFlags & { note?: string, wait?: boolean }) => {
      if (flags.note !== undefined && flags.note.length > 1000) throw new UsageError(`--note: at most 1000 characters, got ${flags.note.length}`)
      await startJob(flags, '/api/v1/backups', flags.note === undefined ? {} : { note: flags.note })
    }))
  withClientOptions(backup.command('ls', { isDefault: true }), 'admin')
    .description('every backup, oldest first: id, state, when, size, what was new, the key that made it')
    .action(withFlags(async (flags: ClientFlags) => {
      const { api } = await client(flags)
      const list = await api.request<BackupRow[]>('GET', '/api/v1/backups')
      if (flags.json === true) {
        printJson(io, list)
        return
      }
      if (list.length === 0) {
        io.stdout.write('no backups yet: plexi admin backup create\n')
        return
      }
      printTable(io, ['ID', 'STATE', 'STARTED', 'ENTITIES', 'SIZE', 'NEW', 'KEY', 'NOTE'], list.map((b) => [
        b.id, b.state, new Date(b.startedAt).toISOString().replace(/\.\d+Z$/, 'Z'), String(b.stats?.entities ?? '-'),
        b.stats === null ? '-' : mib(b.stats.bytes), b.stats === null ? '-' : mib(b.stats.newBytes), b.keyFingerprint, b.note.slice(0, 40)
      ]))
    }))
  withClientOptions(backup.command('show <id>'), 'admin')
    .description('one backup as the catalog lists it: its Merkle root, where its manifest is, what it took')
    .action(withFlags(async (id: string, flags: ClientFlags) => {
      const { api } = await client(flags)
      const b = await api.request<BackupRow>('GET', `/api/v1/backups/${encodeURIComponent(id)}`)
      if (flags.json === true) {
        printJson(io, b)
        return
      }
      io.stdout.write(`${b.id}: ${b.state}${b.error === null ? '' : ` (${b.error})`}, made by ${b.node} with key ${b.keyFingerprint}\n`)
      io.stdout.write(`started ${new Date(b.startedAt).toISOString()}${b.endedAt === null ? '' : `, ended ${new Date(b.endedAt).toISOString()}`}${b.note === '' ? '' : `; note: ${b.note}`}\n`)
      if (b.resumed > 0) io.stdout.write(`resumed ${b.resumed} time${b.resumed === 1 ? '' : 's'} after the node making it stopped\n`)
      if (b.checkpoint !== null) io.stdout.write(`checkpoint ${b.checkpoint.digest} on ${b.checkpoint.holders.join(', ')} (a node resuming it starts there)\n`)
      if (b.stats !== null) io.stdout.write(`${b.stats.entities} entities (${b.stats.records} records) in ${b.stats.partitions} partitions: ${mib(b.stats.bytes)} in ${b.stats.chunks} chunks, ${b.stats.newChunks} of them new (${mib(b.stats.newBytes)})\n`)
      if (b.root !== null) io.stdout.write(`root ${b.root}; manifest ${b.manifest?.digest ?? '-'} on ${b.manifest?.holders.join(', ') ?? '-'}\n`)
    }))
  withClientOptions(backup.command('rm <id>'), 'admin')
    .description('remove a backup: the chunks no other backup of its key names are removed from every holder, then its manifest and its catalog entry (refused while a backup runs)')
    .action(withFlags(async (id: string, flags: ClientFlags) => {
      const { api } = await client(flags)
      const removed = await api.request<{ id: string, chunks: number, bytes: number }>('DELETE', `/api/v1/backups/${encodeURIComponent(id)}`)
      if (flags.json === true) printJson(io, removed)
      else io.stdout.write(`removed ${removed.id}: ${removed.chunks} chunks (${mib(removed.bytes)}) no other backup names\n`)
    }))
  withClientOptions(backup.command('verify <id>'), 'admin')
    .description('check a backup: every chunk on every holder that should keep it against the manifest\'s digests and Merkle root; a missing or damaged copy is named and put back from a whole one (exit 1 only when one cannot be mended); without --full each holder re-reads and hashes its own copies')
    .option('--full', 'take no holder\'s word: read one copy of each chunk here and hash it, and challenge every other holder with a fresh nonce')
    .option('--no-wait', 'start the verify job and return its id')
    .action(withFlags(async (id: string, flags: ClientFlags & { full?: boolean, wait?: boolean }) => {
      await startJob(flags, `/api/v1/backups/${encodeURIComponent(id)}/verify`, { full: flags.full === true })
    }))
  withClientOptions(backup.command('sweep'), 'admin')
    .description('remove orphan chunks: what the backup holders keep that no backup names (the chunks of a failed backup, for one); refused while a backup runs or while backups of another key exist (done, or resumable)')
    .option('--dry-run', 'count them, remove nothing')
    .option('--no-wait', 'start the sweep job and return its id')
    .action(withFlags(async (flags: ClientFlags & { dryRun?: boolean, wait?: boolean }) => {
      await startJob(flags, '/api/v1/backups/sweep', { dryRun: flags.dryRun === true })
    }))
  withClientOptions(admin.command('restore <id>'), 'admin')
    .description('restore a backup: every entity it holds, or one room (--room) or one user\'s agent (--user). Each journal becomes the backup\'s records, and what was written after the backup goes; the entity is held still on its owner meanwhile. Needs a node holding the key that made the backup; --dry-run first says what would change')
    .option('--room <room>', 'only this room')
    .option('--user <user>', 'only this user\'s agent (its persona, settings and conversation)')
    .option('--since <time>', 'only the entities the backup holds a record of at or after this ISO 8601 time (what changed since then, as the backup saw it); with --room or --user, or alone')
    .option('--dry-run', 'write nothing: list each entity with its records now and in the backup')
    .option('--no-wait', 'start the restore job and return its id')
    .addHelpText('after', `
Examples:
  plexi admin restore bk-20261124t161445-25e639 --room general --dry-run
  plexi admin restore bk-20261124t161445-25e639 --room general
  plexi admin restore bk-20261124t161445-25e639              # everything the backup holds`)
    .action(withFlags(async (id: string, flags: ClientFlags & { room?: string, user?: string, since?: string, dryRun?: boolean, wait?: boolean }) => {
      if (flags.room !== undefined && flags.user !== undefined) throw new UsageError('restore: --room or --user, not both (neither: everything)')
      if (flags.since !== undefined && (!/^\d{4}-\d{2}-\d{2}/.test(flags.since) || Number.isNaN(Date.parse(flags.since)))) throw new UsageError(`--since: expected an ISO 8601 time such as 2026-11-24T09:00:00Z, got ${JSON.stringify(flags.since.slice(0, 40))}`)
      const body = {
        ...(flags.room !== undefined && { room: flags.room }),
        ...(flags.user !== undefined && { user: flags.user }),
        ...(flags.since !== undefined && { since: flags.since }),
        ...(flags.dryRun === true && { dryRun: true })
      }
      if (flags.dryRun !== true || flags.wait === false || flags.json === true) {
        await startJob(flags, `/api/v1/backups/${encodeURIComponent(id)}/restore`, body)
        return
      }
      const { api } = await client(flags)
      const job = await api.request<Job>('POST', `/api/v1/backups/${encodeURIComponent(id)}/restore`, body)
      const final = await followJob(api, job.id, io, {})
      for (const change of final.left) io.stdout.write(`  ${change.item}: ${change.why}\n`)
      process.exitCode = jobExitCode(final)
    }))
  const roles = admin.command('roles').description('the roles of members (placement follows them)')
  withClientOptions(roles.command('set <peer> <roles>'), 'admin')
    .description('change the roles of a member live, e.g. `roles set 12D3KooW... chat,ai` (all = every role); lasts until that node restarts, when its --role applies again. Taking the storage role away is refused when fewer storage nodes than a write needs would be left up (--force does it anyway)')
    .option('--force', 'take the storage role away even if writes would stop (too few storage nodes left up for the write quorum); the audit trail records it as forced')
    .action(withFlags(async (peer: string, list: string, flags: ClientFlags & { force?: boolean }) => {
      const wanted = list.split(',').map((r) => r.trim()).filter((r) => r.length > 0)
      if (wanted.length === 0) throw new UsageError('roles set: give a comma-separated list of chat, ai, storage, backup, or all')
      const changed = await (await client(flags)).api.request<{ peerId: string, roles: string[], previous?: string[] }>(
        'PUT', `/api/v1/nodes/${encodeURIComponent(peer)}/roles`, { roles: wanted, ...forceBody(flags) })
      if (flags.json === true) printJson(io, changed)
      else io.stdout.write(`roles of ${changed.peerId}: ${changed.roles.join(',')}${changed.previous === undefined ? '' : ` (were ${changed.previous.join(',')})`}\n`)
    }))
  const models = admin.command('models').description('models in the node\'s models dir')
  withClientOptions(models.command('ls', { isDefault: true }), 'admin')
    .description('list models: name, architecture, size, quantization, parameters, where loaded; invalid files with the reason')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await client(flags)).api.request<ModelInfo[]>('GET', '/api/v1/models')
      if (flags.json === true) {
        printJson(io, list)
        return
      }
      printModels(io, list)
    }))
  for (const [verb, what] of [['load', 'load a model now (unloading least recently used idle ones if memory needs it)'], ['unload', 'unload a model (requests on it fail)']] as const) {
    withClientOptions(models.command(`${verb} <name>`), 'admin')
      .description(what)
      .action(withFlags(async (name: string, flags: ClientFlags) => {
        const model = await (await client(flags)).api.request<ModelInfo>('POST', `/api/v1/models/${encodeURIComponent(name)}/${verb}`)
        if (flags.json === true) printJson(io, model)
        else printModels(io, [model])
      }))
  }
  return admin
}

interface ModelInfo {
  name: string
  sizeBytes: number
  runtime?: string
  status: string
  error?: string
  architecture?: string
  quantization?: string
  parameters?: number
  contextLength?: number
  loaded: string[]
  memoryBytes?: number
  backend?: string
}

function printModels (io: CliIo, list: ModelInfo[]): void {
  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
  printTable(io, ['NAME', 'ARCH', 'QUANT', 'PARAMS', 'SIZE', 'CONTEXT', 'STATUS', 'LOADED ON', 'MEMORY', 'BACKEND'], list.map((m) => [
    m.name, m.architecture ?? (m.runtime === 'openai-http' ? 'remote' : '-'), m.quantization ?? '-', m.parameters === undefined ? '-' : `${(m.parameters / 1e6).toFixed(1)}M`,
    mib(m.sizeBytes), m.contextLength === undefined ? '-' : String(m.contextLength),
    m.status === 'ready' ? 'ready' : `invalid: ${m.error ?? ''}`, m.loaded.length === 0 ? '-' : m.loaded.join(','),
    m.memoryBytes === undefined ? '-' : mib(m.memoryBytes), m.backend ?? '-'
  ]))
}

function printJobs (io: CliIo, jobs: readonly Job[]): void {
  printTable(io, ['ID', 'KIND', 'NODE', 'TARGET', 'STATE', 'PROGRESS', 'AGE', 'MESSAGE'], jobs.map((j) => [
    j.id, j.kind, shortPeer(j.node), j.target ?? '-', j.state, jobProgress(j), ago(j.startedAt), j.message
  ]))
}

function printJob (io: CliIo, job: Job): void {
  const lines: Array<[string, string]> = [
    ['id', job.id], ['kind', job.kind], ['node', job.node], ['target', job.target ?? '-'], ['state', job.state], ['progress', jobProgress(job)],
    ['message', job.message], ...(job.error === null ? [] : [['error', job.error] as [string, string]]),
    ['started', `${job.startedAt} (${ago(job.startedAt)})`], ['ended', job.endedAt ?? '-']
  ]
  for (const [key, value] of lines) io.stdout.write(`${`${key}:`.padEnd(10)}${value}\n`)
  if (job.left.length > 0) {
    io.stdout.write(`left:\n`)
    for (const l of job.left) io.stdout.write(`  ${l.item}: ${l.why}\n`)
  }
}

/** A flag's value checked against the values it may take (UsageError otherwise). */
function checkedValue<T extends string> (flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`)
  return value as T
}

function printMembers (io: CliIo, members: Member[], self?: string): void {
  const now = Date.now()
  printTable(io, ['PEER', 'ROLES', 'STATUS', 'GRPC', 'ADMIN', 'ACTORS', 'ENTITIES', 'MAILBOX', 'LAST SEEN'], members.map((m) => [
    `${m.peerId}${m.peerId === self ? ' (self)' : ''}`, m.roles.join(','), m.status, m.addresses.grpc, m.addresses.admin,
    String(m.load.actors), String(m.load.entities), String(m.load.mailbox),
    m.lastSeen === undefined ? '-' : `${((now - m.lastSeen) / 1000).toFixed(1)}s ago`
  ]))
}

/** GET /api/v1/cluster `writes`. */
interface WritesState {
  available: boolean
  needed: number
  writeQuorum: number
  replicas: number
  storageNodes: number
  storageUp: number
  partitions: number
  unavailablePartitions: number
  down: string[]
}

/** "writes: available (2 of 2 storage nodes up; a write needs 2)", or what is unavailable and why. */
export function writesLine (w: WritesState): string {
  const counts = `${w.storageUp} of ${w.storageNodes} storage node${w.storageNodes === 1 ? '' : 's'} up; a write needs ${w.needed} of ${w.replicas} replica${w.replicas === 1 ? '' : 's'}`
  if (w.available) return `writes: available (${counts})`
  return `writes: UNAVAILABLE on ${w.unavailablePartitions} of ${w.partitions} partitions (${counts}${w.down.length === 0 ? '' : `; down: ${w.down.map(shortPeer).join(', ')}`}): start the storage nodes that are down`
}

/** The body of a request that may be forced past the write-quorum check. */
function forceBody (flags: { force?: boolean }): { force: true } | undefined {
  return flags.force === true ? { force: true } : undefined
}

/** '12s ago', '5m ago', '3h ago' for an ISO time. */
function ago (iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  return s < 120 ? `${s}s ago` : s < 7_200 ? `${Math.round(s / 60)}m ago` : s < 172_800 ? `${Math.round(s / 3_600)}h ago` : `${Math.round(s / 86_400)}d ago`
}
