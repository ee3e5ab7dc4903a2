import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { formatHostPort, parseHostPort } from '../config/index.ts'
import { ADMIN_TOKEN_FILE } from '../node/constants.ts'
import { USER_NAME_RULE, isUserName } from '../protocols/index.ts'
import { UsageError } from './cli-errors.ts'
import type { CliIo } from './cli-io.ts'
import { clientTls } from './client-tls.ts'
import type { ClientTls } from './client-tls.ts'
import { SavedTokens, readSecret } from './saved-tokens.ts'

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
  tlsCa?: string
  tls?: boolean
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
    .option('--tls-ca <file>', 'use TLS, trusting the PEM certificates in this file: the node\'s own (plexi tls selfsigned) or its CA (env PLEXI_TLS_CA)')
    .option('--tls', 'use TLS, trusting the system\'s CAs: a node whose certificate a public CA signed (env PLEXI_TLS=1)')
    .option('--data-dir <dir>', 'the node\'s data dir, where tokens are kept (env PLEXI_DATA_DIR, default ./data)')
    .option('--json', 'print JSON for scripts')
}

/**
 * An action that takes its flags from wherever they were given: after the subcommand or before it,
 * on any command above it (`plexi admin --json users ls` and `plexi admin users ls --json` are the
 * same; the last one given wins). Commander hands an action its positional arguments, its own
 * options and the command; the handler gets the positional arguments and the merged flags.
 */
export function withFlags (handler: (...args: any[]) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const command = args.at(-1) as Command
    await handler(...args.slice(0, -2), command.optsWithGlobals())
  }
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
  /** http://H:P, or https://H:P with TLS. */
  readonly url: string
  readonly token: string
  /** The token was read from the data dir: the CLI runs beside the node. */
  readonly local: boolean
  readonly dataDir: string
  /** undefined: plain HTTP. */
  readonly tls: ClientTls | undefined
}

export async function adminConnection (flags: ClientFlags, io: CliIo): Promise<AdminConnection> {
  const addr = address(flags.adminAddr ?? nonEmpty(io.env.PLEXI_ADMIN_ADDR) ?? DEFAULT_ADMIN_ADDR, flags.adminAddr !== undefined ? '--admin-addr' : 'PLEXI_ADMIN_ADDR')
  const dataDir = dataDirOf(flags, io)
  const tls = await clientTls(flags, io)
  const url = `${tls === undefined ? 'http' : 'https'}://${addr}`
  const given = flags.adminToken ?? nonEmpty(io.env.PLEXI_ADMIN_TOKEN)
  if (given !== undefined) return { url, token: given, local: false, dataDir, tls }
  const path = join(dataDir, ADMIN_TOKEN_FILE)
  const token = await readSecret(path)
  if (token === undefined) {
    throw new UsageError(`no admin token: pass --admin-token, set PLEXI_ADMIN_TOKEN, or run where ${path} is readable (--data-dir)`)
  }
  return { url, token, local: true, dataDir, tls }
}

export interface ChatConnection {
  readonly address: string
  readonly token: string
  /** undefined: plain gRPC. */
  readonly tls: ClientTls | undefined
}

export async function chatConnection (flags: ClientFlags, io: CliIo): Promise<ChatConnection> {
  const addr = address(flags.addr ?? nonEmpty(io.env.PLEXI_ADDR) ?? DEFAULT_GRPC_ADDR, flags.addr !== undefined ? '--addr' : 'PLEXI_ADDR')
  const tls = await clientTls(flags, io)
  const given = flags.token ?? nonEmpty(io.env.PLEXI_TOKEN)
  if (given !== undefined) return { address: addr, token: given, tls }
  const saved = new SavedTokens(dataDirOf(flags, io))
  const named = flags.user ?? nonEmpty(io.env.PLEXI_USER)
  if (named !== undefined && !isUserName(named)) throw new UsageError(`--user: ${JSON.stringify(named)} is not a user name (${USER_NAME_RULE})`)
  // no user named: the default one of this data dir (the first `users add` saved here)
  const user = named ?? await saved.defaultUser()
  if (user === undefined) {
    const users = await saved.users()
    throw new UsageError(`no token: pass --user NAME${users.length > 0 ? ` (saved in ${saved.dir}: ${users.join(', ')})` : ''}, --token, or PLEXI_TOKEN; \`plexi admin users add NAME\` on the node's machine creates a user and saves its token`)
  }
  const token = await saved.read(user)
  if (token === undefined) throw new UsageError(`no saved token for ${user} in ${saved.path(user)}: pass --token, or create the user with \`plexi admin users add ${user}\` on this machine`)
  return { address: addr, token, tls }
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
