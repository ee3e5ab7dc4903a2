import type { Command } from 'commander'
import type { Member } from '../../../protocols/index.ts'
import { UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import type { CliIo } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import type { AdminContext } from './admin-context.ts'

/*
 * The members (/api/v1/nodes): `plexi admin nodes`, `roles set`, `drain` and `decommission`. Each is
 * registered apart, where `plexi admin --help` has always listed it.
 */

/** `plexi admin nodes`: every member. */
export function nodesCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('nodes'), 'admin')
    .description('every member')
    .action(withFlags(async (flags: ClientFlags) => {
      const nodes = await (await cx.client(flags)).api.request<Member[]>('GET', '/api/v1/nodes')
      if (flags.json === true) printJson(cx.io, nodes)
      else printMembers(cx.io, nodes)
    }))
}

/** `plexi admin drain PEER` and `plexi admin decommission PEER`: jobs, followed. */
export function leaveCommands (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('drain <peer>'), 'admin')
    .description('drain a member: it stops taking clients (/readyz 503), its entities move live to the others, then it exits (start it again to bring it back). Ask through another member\'s --admin-addr: the drained node exits. Refused when fewer storage nodes than a write needs would be left up (--force drains it anyway). Shows the drain job\'s progress')
    .option('--no-wait', 'start the drain job and return its id')
    .option('--force', 'drain it even if writes would stop (too few storage nodes left up for the write quorum); the audit trail records it as forced')
    .action(withFlags(async (peer: string, flags: ClientFlags & { wait?: boolean, force?: boolean }) => {
      await cx.startJob(flags, `/api/v1/nodes/${encodeURIComponent(peer)}/drain`, forceBody(flags))
    }))
  withClientOptions(admin.command('decommission <peer>'), 'admin')
    .description('remove a member for good: it drops its roles, its entities move live, its storage partitions are handed off to their new replicas, then it exits and the cluster forgets it (its data dir never starts a node again). Refused while it is the only member with a role, when too few storage nodes would be left for the replication factor, or fewer up than a write needs (--force for that one). Shows the job\'s progress')
    .option('--no-wait', 'start the decommission job and return its id')
    .option('--force', 'decommission it even if writes would stop (too few storage nodes left up for the write quorum); the audit trail records it as forced')
    .action(withFlags(async (peer: string, flags: ClientFlags & { wait?: boolean, force?: boolean }) => {
      await cx.startJob(flags, `/api/v1/nodes/${encodeURIComponent(peer)}/decommission`, forceBody(flags))
    }))
}

/** `plexi admin roles set PEER LIST`: a member's roles, changed live. */
export function rolesCommands (admin: Command, cx: AdminContext): void {
  const roles = admin.command('roles').description('the roles of members (placement follows them)')
  withClientOptions(roles.command('set <peer> <roles>'), 'admin')
    .description('change the roles of a member live, e.g. `roles set 12D3KooW... chat,ai` (all = every role); lasts until that node restarts, when its --role applies again. Taking the storage role away is refused when fewer storage nodes than a write needs would be left up (--force does it anyway)')
    .option('--force', 'take the storage role away even if writes would stop (too few storage nodes left up for the write quorum); the audit trail records it as forced')
    .action(withFlags(async (peer: string, list: string, flags: ClientFlags & { force?: boolean }) => {
      const wanted = list.split(',').map((r) => r.trim()).filter((r) => r.length > 0)
      if (wanted.length === 0) throw new UsageError('roles set: give a comma-separated list of chat, ai, storage, backup, plugins, or all')
      const changed = await (await cx.client(flags)).api.request<{ peerId: string, roles: string[], previous?: string[] }>(
        'PUT', `/api/v1/nodes/${encodeURIComponent(peer)}/roles`, { roles: wanted, ...forceBody(flags) })
      if (flags.json === true) printJson(cx.io, changed)
      else cx.io.stdout.write(`roles of ${changed.peerId}: ${changed.roles.join(',')}${changed.previous === undefined ? '' : ` (were ${changed.previous.join(',')})`}\n`)
    }))
}

/** The members: a summary line first (by state, then by role), then a table with the members that
 * are not up first (down, suspect, joining, draining), then by roles and peer id; this node marked
 * (self). At 30 members the trouble is on the first lines. */
export function printMembers (io: CliIo, members: Member[], self?: string): void {
  const now = Date.now()
  io.stdout.write(`${memberSummary(members)}\n`)
  const sorted = [...members].sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.roles.join(',').localeCompare(b.roles.join(',')) || a.peerId.localeCompare(b.peerId))
  printTable(io, ['PEER', 'ROLES', 'STATUS', 'GRPC', 'ADMIN', 'ACTORS', 'ENTITIES', 'MAILBOX', 'LAST SEEN'], sorted.map((m) => [
    `${m.peerId}${m.peerId === self ? ' (self)' : ''}`, m.roles.join(','), m.status, m.addresses.grpc, m.addresses.admin,
    String(m.load.actors), String(m.load.entities), String(m.load.mailbox),
    m.lastSeen === undefined ? '-' : `${((now - m.lastSeen) / 1000).toFixed(1)}s ago`
  ]))
}

/** Members that need a look first. */
const STATUS_ORDER: ReadonlyArray<Member['status']> = ['down', 'suspect', 'joining', 'draining', 'up']

/** `30 members: 28 up, 1 suspect, 1 down; chat 20 (all up), storage 8 (7 up, 1 down), ai 2 (all up)`. */
export function memberSummary (members: readonly Member[]): string {
  const states = (of: readonly Member[]): string => STATUS_ORDER.slice().reverse()
    .map((s) => [s, of.filter((m) => m.status === s).length] as const).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')
  const roles = [...new Set(members.flatMap((m) => m.roles))].sort().map((role) => {
    const holding = members.filter((m) => m.roles.includes(role))
    return `${role} ${holding.length} (${holding.every((m) => m.status === 'up') ? 'all up' : states(holding)})`
  })
  return `${members.length} member${members.length === 1 ? '' : 's'}: ${members.length === 0 ? 'none' : states(members)}${roles.length === 0 ? '' : `; ${roles.join(', ')}`}`
}

/** The body of a request that may be forced past the write-quorum check. */
function forceBody (flags: { force?: boolean }): { force: true } | undefined {
  return flags.force === true ? { force: true } : undefined
}
