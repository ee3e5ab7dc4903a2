import type { Command } from 'commander'
import { UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import type { AdminContext } from './admin-context.ts'

/** `plexi admin tokens add|ls|rm`: this node's named admin tokens (/api/v1/tokens). */
export function tokensCommands (admin: Command, cx: AdminContext): void {
  const { io } = cx
  const tokens = admin.command('tokens').description('this node\'s named admin tokens: read-only (scope read) or full (scope admin), each revocable')
  withClientOptions(tokens.command('add <name>'), 'admin')
    .description('make a named admin token for this node and print it (shown once): scope read may only read (the dashboard, listings, metrics streams), scope admin may do everything')
    .option('--scope <scope>', 'read or admin', 'read')
    .action(withFlags(async (name: string, flags: ClientFlags & { scope: string }) => {
      if (flags.scope !== 'read' && flags.scope !== 'admin') throw new UsageError(`--scope: expected read or admin, got ${JSON.stringify(flags.scope)}`)
      const made = await (await cx.client(flags)).api.request<{ name: string, scope: string, token: string, createdAt: number }>('POST', '/api/v1/tokens', { name, scope: flags.scope })
      if (flags.json === true) {
        printJson(io, made)
        return
      }
      io.stdout.write(`admin token ${made.name} (scope ${made.scope}) created on this node; token (shown once):\n${made.token}\n`)
    }))
  withClientOptions(tokens.command('ls', { isDefault: true }), 'admin')
    .description('list this node\'s named admin tokens (names and scopes; the tokens are kept only as hashes)')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await cx.client(flags)).api.request<Array<{ name: string, scope: string, createdAt: number }>>('GET', '/api/v1/tokens')
      if (flags.json === true) printJson(io, list)
      else printTable(io, ['NAME', 'SCOPE', 'CREATED'], list.map((t) => [t.name, t.scope, new Date(t.createdAt).toISOString()]))
    }))
  withClientOptions(tokens.command('rm <name>'), 'admin')
    .description('revoke a named admin token: it stops working at once')
    .action(withFlags(async (name: string, flags: ClientFlags) => {
      const removed = await (await cx.client(flags)).api.request<{ name: string, scope: string }>('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`)
      if (flags.json === true) printJson(io, removed)
      else io.stdout.write(`admin token ${removed.name} revoked; it no longer works\n`)
    }))
}
