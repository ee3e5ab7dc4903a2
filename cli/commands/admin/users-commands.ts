import { randomUUID } from 'node:crypto'
import type { Command } from 'commander'
import { CliError, UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { downloadExport } from '../../export-download.ts'
import { exportFormat, listed, toolNames } from '../../flag-values.ts'
import { SavedTokens } from '../../saved-tokens.ts'
import type { AdminContext } from './admin-context.ts'

interface User { name: string, createdAt: number }
interface UserTools { user: string, granted: string[], enabled: string[], disabled: string[] }

/** `plexi admin users add|ls|tools|export|rm|erase`: users and their tokens (GET/POST/DELETE
 * /api/v1/users), the tools their agents may use (GET/POST /api/v1/users/{name}/tools), everything of
 * a user (GET /api/v1/users/{name}/export) and a user's erasure (POST /api/v1/users/{name}/erase, a
 * job). */
export function usersCommands (admin: Command, cx: AdminContext): void {
  const users = admin.command('users').description('users and their tokens')
  withClientOptions(users.command('add <name>'), 'admin')
    .description('create a user and print their token (shown once); beside the node the token is also saved in <data-dir>/tokens/<name>, and the first user saved there is the default of chat and agent commands')
    .option('--save', 'save the token in <data-dir>/tokens/<name> (mode 0600) even when the admin token did not come from the data dir')
    .option('--no-save', 'do not save the token')
    .option('--default', 'make this user the default of chat and agent commands on this machine (the first one saved is)')
    .action(withFlags(async (name: string, flags: ClientFlags & { save?: boolean, default?: boolean }) => { await addUser(cx, name, flags) }))
  withClientOptions(users.command('ls', { isDefault: true }), 'admin')
    .description('list users (the default: `plexi admin users`)')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await cx.client(flags)).api.request<User[]>('GET', '/api/v1/users')
      if (flags.json === true) printJson(cx.io, list)
      else printTable(cx.io, ['NAME', 'CREATED'], list.map((u) => [u.name, new Date(u.createdAt).toISOString()]))
    }))
  withClientOptions(users.command('tools <name>'), 'admin')
    .description('show the tools a user\'s agent may use, or grant and revoke them (qualified names such as clock__now, or clock__* for every tool of a source; revokes apply first); the user turns granted tools on and off with `plexi agent tools`')
    .option('--grant <tools>', 'grant these tools (a comma-separated list; the flag may be repeated)', listed)
    .option('--revoke <tools>', 'revoke these tools (a comma-separated list; the flag may be repeated)', listed)
    .action(withFlags(async (name: string, flags: ClientFlags & { grant?: string[], revoke?: string[] }) => { await userTools(cx, name, flags) }))
  withClientOptions(users.command('export <name>'), 'admin')
    .description('export everything of one user: their posts, joins and leaves in every room, their agent conversation and their settings (json: lossless; ndjson: one record a line; md: to read)')
    .option('--format <format>', 'json, ndjson or md', 'json')
    .option('--out <file>', 'write it to this file (default: stdout)')
    .action(withFlags(async (name: string, flags: ClientFlags & { format: string, out?: string }) => {
      const format = exportFormat(flags.format)
      const { api } = await cx.client(flags)
      await downloadExport(cx.io, api.download(`/api/v1/users/${encodeURIComponent(name)}/export?format=${format}`), flags.out, `export ${name}`)
    }))
  withClientOptions(users.command('rm <name>'), 'admin')
    .description('remove a user and revoke their token')
    .action(withFlags(async (name: string, flags: ClientFlags) => {
      const { io } = cx
      const { api, dataDir } = await cx.client(flags)
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
  withClientOptions(users.command('erase <name>'), 'admin')
    .description('erase a user for good: tokens revoked, every post of theirs redacted in every room and its text removed from every replica, their agent\'s conversation, settings and KV caches deleted, audited; every later restore re-applies it. Shows the job\'s progress (exit 0 done, 1 failed: run it again to finish)')
    .option('--yes', 'erase without asking: nothing erased comes back')
    .option('--no-wait', 'start the erasure job and return its id')
    .action(withFlags(async (name: string, flags: ClientFlags & { yes?: boolean, wait?: boolean }) => {
      if (flags.yes !== true) throw new UsageError(`erasing ${name} cannot be undone (their posts, their agent's conversation and tokens go for good): run it again with --yes`)
      const { dataDir } = await cx.client(flags)
      await cx.startJob(flags, `/api/v1/users/${encodeURIComponent(name)}/erase`, undefined)
      // the user's token saved beside the node is revoked: it does not stay behind
      await new SavedTokens(dataDir).remove(name)
    }))
}

/** `users add`: the user made with a client id (a retry is safe), its token saved beside the node. */
async function addUser (cx: AdminContext, name: string, flags: ClientFlags & { save?: boolean, default?: boolean }): Promise<void> {
  const { io } = cx
  const { api, local, dataDir } = await cx.client(flags)
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
}

/** `users tools`: the user's tool policy, after the grants and revokes asked for. */
async function userTools (cx: AdminContext, name: string, flags: ClientFlags & { grant?: string[], revoke?: string[] }): Promise<void> {
  const grant = toolNames(flags.grant ?? [], '--grant')
  const revoke = toolNames(flags.revoke ?? [], '--revoke')
  const { api } = await cx.client(flags)
  const path = `/api/v1/users/${encodeURIComponent(name)}/tools`
  const tools = grant.length + revoke.length === 0
    ? await api.request<UserTools>('GET', path)
    : await api.request<UserTools>('POST', path, { ...(grant.length > 0 && { grant }), ...(revoke.length > 0 && { revoke }) })
  if (flags.json === true) {
    printJson(cx.io, tools)
    return
  }
  const list = (names: string[]): string => (names.length === 0 ? '(none)' : names.join(', '))
  cx.io.stdout.write(`granted to ${tools.user}: ${list(tools.granted)}\n`)
  if (tools.disabled.length > 0) cx.io.stdout.write(`turned off by ${tools.user}: ${list(tools.disabled)}\n`)
  if (tools.enabled.length > 0) cx.io.stdout.write(`turned on again by ${tools.user}: ${list(tools.enabled)}\n`)
}
