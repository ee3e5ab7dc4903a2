import type { Command } from 'commander'
import { printJson, printTable } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { integer } from '../../flag-values.ts'
import { shortPeer } from '../../short-peer.ts'
import type { AdminContext } from './admin-context.ts'

interface AuditRow { seq: number, ts: number, actor: string, node: string, ip: string, action: string, target: string, outcome: string, status: number, detail: string, prev: string, hash: string }

/** `plexi admin audit [ls]|verify`: the audit trail (/api/v1/audit). */
export function auditCommands (admin: Command, cx: AdminContext): void {
  const { io } = cx
  const audit = admin.command('audit').description('the audit trail: every admin action and failed admin authentication on any member, hash-chained')
  withClientOptions(audit.command('ls', { isDefault: true }), 'admin')
    .description('list audit records, oldest first (the default: `plexi admin audit`)')
    .option('--after <seq>', 'only records after this seq', '0')
    .option('--limit <n>', 'at most this many records, 1 to 1000', '100')
    .action(withFlags(async (flags: ClientFlags & { after: string, limit: string }) => {
      const after = integer(flags.after, '--after', 0, Number.MAX_SAFE_INTEGER)
      const limit = integer(flags.limit, '--limit', 1, 1000)
      const { records } = await (await cx.client(flags)).api.request<{ records: AuditRow[] }>('GET', `/api/v1/audit?after=${after}&limit=${limit}`)
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
      const verdict = await (await cx.client(flags)).api.request<{ ok: boolean, records: number, head: { seq: number, hash: string }, brokenAt: number | null, reason: string | null }>('GET', '/api/v1/audit/verify')
      if (!verdict.ok) process.exitCode = 1
      if (flags.json === true) {
        printJson(io, verdict)
        return
      }
      if (verdict.ok) io.stdout.write(`audit trail whole: ${verdict.records} records, each following the one before; head ${verdict.head.hash}\n`)
      else io.stdout.write(`audit trail BROKEN at record ${String(verdict.brokenAt)}: ${verdict.reason ?? ''} (${verdict.records} records before it are whole)\n`)
    }))
}
