import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { formatHostPort, parseHostPort } from '../config/index.ts'
import { ADMIN_TOKEN_FILE, TOKENS_DIR } from '../node/constants.ts'
import { USER_NAME_RULE, isUserName } from '../protocols/index.ts'
import { UsageError } from './cli-errors.ts'
import type { CliIo } from './cli-io.ts'

export const DEFAULT_GRPC_ADDR = '127.0.0.1:7400'
export const DEFAULT_ADMIN_ADDR = '127.0.0.1:7402'

/** Connection and output flags, accepted after any subcommand. */
export interface ClientFlags {
  addr?: string
  user?: string
  token?: string
  adminAddr?: string
  adminToken?: string
  dataDir?: string
  json?: boolean
}

type Which = 'chat' | 'admin'

/** Adds the connection and output flags a client command understands, with their env twins. */
export function withClientOptions (command: Command, which: Which): Command {
  if (which === 'chat') {
    command
      .option('--addr <host:port>', `gRPC address of a node (env PLEXI_ADDR, default ${DEFAULT_GRPC_ADDR})`)
      .option('--user <name>', 'whose saved token to use (env PLEXI_USER)')
      .option('--token <token>', 'the user\'s token (env PLEXI_TOKEN; default: the one `admin users add` saved for --user)')
  } else {
    command
      .option('--admin-addr <host:port>', `admin HTTP address (env PLEXI_ADMIN_ADDR, default ${DEFAULT_ADMIN_ADDR})`)
      .option('--admin-token <token>', 'admin token (env PLEXI_ADMIN_TOKEN; default: <data-dir>/admin-token)')
  }
  return command
    .option('--data-dir <dir>', 'the node\'s data dir, where tokens are kept (env PLEXI_DATA_DIR, default ./data)')
    .option('--json', 'print JSON for scripts')
}

export function dataDirOf (flags: ClientFlags, io: CliIo): string {
  return resolve(io.cwd, flags.dataDir ?? nonEmpty(io.env.PLEXI_DATA_DIR) ?? './data')
}

function address (value: string, flag: string): string {
  const parsed = parseHostPort(value)
  if (parsed === undefined) throw new UsageError(`${flag}: expected host:port, such as 127.0.0.1:7400, got ${JSON.stringify(value)}`)
  return formatHostPort(parsed)
}

export interface AdminConnection {
  readonly url: string
  readonly token: string
  /** The token was read from the data dir: the CLI runs beside the node. */
  readonly local: boolean
  readonly dataDir: string
}

export async function adminConnection (flags: ClientFlags, io: CliIo): Promise<AdminConnection> {
  const addr = address(flags.adminAddr ?? nonEmpty(io.env.PLEXI_ADMIN_ADDR) ?? DEFAULT_ADMIN_ADDR, flags.adminAddr !== undefined ? '--admin-addr' : 'PLEXI_ADMIN_ADDR')
  const dataDir = dataDirOf(flags, io)
  const given = flags.adminToken ?? nonEmpty(io.env.PLEXI_ADMIN_TOKEN)
  if (given !== undefined) return { url: `http://${addr}`, token: given, local: false, dataDir }
  const path = join(dataDir, ADMIN_TOKEN_FILE)
  const token = await readSecret(path)
  if (token === undefined) {
    throw new UsageError(`no admin token: pass --admin-token, set PLEXI_ADMIN_TOKEN, or run where ${path} is readable (--data-dir)`)
  }
  return { url: `http://${addr}`, token, local: true, dataDir }
}

export interface ChatConnection {
  readonly address: string
  readonly token: string
}

export async function chatConnection (flags: ClientFlags, io: CliIo): Promise<ChatConnection> {
  const addr = address(flags.addr ?? nonEmpty(io.env.PLEXI_ADDR) ?? DEFAULT_GRPC_ADDR, flags.addr !== undefined ? '--addr' : 'PLEXI_ADDR')
  const given = flags.token ?? nonEmpty(io.env.PLEXI_TOKEN)
  if (given !== undefined) return { address: addr, token: given }
  const user = flags.user ?? nonEmpty(io.env.PLEXI_USER)
  if (user === undefined) throw new UsageError('no token: pass --token (or set PLEXI_TOKEN), or --user NAME to use the token `plexi admin users add NAME` saved')
  if (!isUserName(user)) throw new UsageError(`--user: ${JSON.stringify(user)} is not a user name (${USER_NAME_RULE})`)
  const path = tokenPath(dataDirOf(flags, io), user)
  const token = await readSecret(path)
  if (token === undefined) throw new UsageError(`no saved token for ${user} in ${path}: pass --token, or create the user with \`plexi admin users add ${user}\` on this machine`)
  return { address: addr, token }
}

export function tokenPath (dataDir: string, user: string): string {
  return join(dataDir, TOKENS_DIR, user)
}

async function readSecret (path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim()
    return text.length > 0 ? text : undefined
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'EACCES') throw new UsageError(`cannot read ${path}: permission denied`)
    throw err
  }
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
