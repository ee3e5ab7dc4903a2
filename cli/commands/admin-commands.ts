import { Command } from 'commander'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Member } from '../../protocols/index.ts'
import { AdminClient } from '../admin-client.ts'
import { UsageError } from '../cli-errors.ts'
import { printJson, printTable } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'
import { adminConnection, tokenPath, withClientOptions } from '../client-options.ts'
import type { ClientFlags } from '../client-options.ts'

interface User { name: string, createdAt: number }
interface Actor { kind: string, path: string, key: string | null, status: string, mailbox: number, node: string }

export function adminCommands (io: CliIo): Command {
  const admin = new Command('admin')
    .description('drive a node over its admin endpoint (token: --admin-token, PLEXI_ADMIN_TOKEN or <data-dir>/admin-token)')
  const client = async (flags: ClientFlags): Promise<{ api: AdminClient, local: boolean, dataDir: string }> => {
    const connection = await adminConnection(flags, io)
    return { api: new AdminClient(connection.url, connection.token), local: connection.local, dataDir: connection.dataDir }
  }

  const users = admin.command('users').description('users and their tokens')
  withClientOptions(users.command('add <name>'), 'admin')
    .description('create a user and print their token (shown once); beside the node the token is also saved in <data-dir>/tokens/<name>')
    .option('--save', 'save the token in <data-dir>/tokens/<name> (mode 0600) even when the admin token did not come from the data dir')
    .option('--no-save', 'do not save the token')
    .action(async (name: string, flags: ClientFlags & { save?: boolean }) => {
      const { api, local, dataDir } = await client(flags)
      const created = await api.request<User & { token: string }>('POST', '/api/v1/users', { name })
      const save = flags.save ?? local
      let saved: string | undefined
      if (save) {
        saved = tokenPath(dataDir, created.name)
        await mkdir(dirname(saved), { recursive: true, mode: 0o700 })
        await writeFile(saved, `${created.token}\n`, { mode: 0o600 })
        await chmod(saved, 0o600)
      }
      if (flags.json === true) {
        printJson(io, { name: created.name, token: created.token, createdAt: created.createdAt, ...(saved !== undefined && { savedTo: saved }) })
        return
      }
      io.stdout.write(`user ${created.name} created; token (shown once):\n${created.token}\n`)
      if (saved !== undefined) io.stdout.write(`saved to ${saved}: \`plexi chat --user ${created.name} --room general\` finds it there\n`)
    })
  withClientOptions(users.command('ls', { isDefault: true }), 'admin')
    .description('list users (the default: `plexi admin users`)')
    .action(async (flags: ClientFlags) => {
      const list = await (await client(flags)).api.request<User[]>('GET', '/api/v1/users')
      if (flags.json === true) printJson(io, list)
      else printTable(io, ['NAME', 'CREATED'], list.map((u) => [u.name, new Date(u.createdAt).toISOString()]))
    })
  withClientOptions(users.command('rm <name>'), 'admin')
    .description('remove a user and revoke their token')
    .action(async (name: string, flags: ClientFlags) => {
      const removed = await (await client(flags)).api.request<User>('DELETE', `/api/v1/users/${encodeURIComponent(name)}`)
      if (flags.json === true) printJson(io, removed)
      else io.stdout.write(`user ${removed.name} removed; their token no longer works\n`)
    })

  withClientOptions(admin.command('cluster'), 'admin')
    .description('this node and every member: peer id, roles, addresses, status, load')
    .action(async (flags: ClientFlags) => {
      const cluster = await (await client(flags)).api.request<{ self: Member, members: Member[] }>('GET', '/api/v1/cluster')
      if (flags.json === true) printJson(io, cluster)
      else printMembers(io, cluster.members, cluster.self.peerId)
    })
  withClientOptions(admin.command('nodes'), 'admin')
    .description('every member')
    .action(async (flags: ClientFlags) => {
      const nodes = await (await client(flags)).api.request<Member[]>('GET', '/api/v1/nodes')
      if (flags.json === true) printJson(io, nodes)
      else printMembers(io, nodes)
    })
  withClientOptions(admin.command('actors'), 'admin')
    .description('live actors and active entities')
    .option('--type <type>', 'only this kind or entity type (room, users, rooms, ...)')
    .action(async (flags: ClientFlags & { type?: string }) => {
      const query = flags.type === undefined ? '' : `?type=${encodeURIComponent(flags.type)}`
      const actors = await (await client(flags)).api.request<Actor[]>('GET', `/api/v1/actors${query}`)
      if (flags.json === true) printJson(io, actors)
      else printTable(io, ['KIND', 'PATH', 'STATUS', 'MAILBOX', 'NODE'], actors.map((a) => [a.kind, a.path, a.status, String(a.mailbox), a.node]))
    })
  const roles = admin.command('roles').description('the roles of members (placement follows them)')
  withClientOptions(roles.command('set <peer> <roles>'), 'admin')
    .description('change the roles of a member live, e.g. `roles set 12D3KooW... chat,ai` (all = every role); lasts until that node restarts, when its --role applies again')
    .action(async (peer: string, list: string, flags: ClientFlags) => {
      const wanted = list.split(',').map((r) => r.trim()).filter((r) => r.length > 0)
      if (wanted.length === 0) throw new UsageError('roles set: give a comma-separated list of chat, ai, storage, backup, or all')
      const changed = await (await client(flags)).api.request<{ peerId: string, roles: string[], previous?: string[] }>(
        'PUT', `/api/v1/nodes/${encodeURIComponent(peer)}/roles`, { roles: wanted })
      if (flags.json === true) printJson(io, changed)
      else io.stdout.write(`roles of ${changed.peerId}: ${changed.roles.join(',')}${changed.previous === undefined ? '' : ` (were ${changed.previous.join(',')})`}\n`)
    })
  const models = admin.command('models').description('models in the node\'s models dir')
  withClientOptions(models.command('ls', { isDefault: true }), 'admin')
    .description('list models: name, architecture, size, quantization, parameters, where loaded; invalid files with the reason')
    .action(async (flags: ClientFlags) => {
      const list = await (await client(flags)).api.request<ModelInfo[]>('GET', '/api/v1/models')
      if (flags.json === true) {
        printJson(io, list)
        return
      }
      printModels(io, list)
    })
  for (const [verb, what] of [['load', 'load a model now (unloading least recently used idle ones if memory needs it)'], ['unload', 'unload a model (requests on it fail)']] as const) {
    withClientOptions(models.command(`${verb} <name>`), 'admin')
      .description(what)
      .action(async (name: string, flags: ClientFlags) => {
        const model = await (await client(flags)).api.request<ModelInfo>('POST', `/api/v1/models/${encodeURIComponent(name)}/${verb}`)
        if (flags.json === true) printJson(io, model)
        else printModels(io, [model])
      })
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

function printMembers (io: CliIo, members: Member[], self?: string): void {
  const now = Date.now()
  printTable(io, ['PEER', 'ROLES', 'STATUS', 'GRPC', 'ADMIN', 'ACTORS', 'ENTITIES', 'MAILBOX', 'LAST SEEN'], members.map((m) => [
    `${m.peerId}${m.peerId === self ? ' (self)' : ''}`, m.roles.join(','), m.status, m.addresses.grpc, m.addresses.admin,
    String(m.load.actors), String(m.load.entities), String(m.load.mailbox),
    m.lastSeen === undefined ? '-' : `${((now - m.lastSeen) / 1000).toFixed(1)}s ago`
  ]))
}
