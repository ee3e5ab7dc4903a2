import { createServer } from 'node:net'
import { stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigError } from '../../config/index.ts'
import type { NodeConfig } from '../../config/index.ts'

/** One address the node will listen on, with the key that sets it. */
export interface ListenAddress {
  readonly key: string
  readonly host: string
  readonly port: number
}

/**
 * The TCP addresses a node will listen on (gRPC, admin, the user listener unless off, the OpenAI endpoint when set, and p2p when
 * a cluster key is given and its multiaddr is a plain /ip4 or /ip6 TCP one), each with its key.
 */
export function listenAddresses (config: NodeConfig): ListenAddress[] {
  const out: ListenAddress[] = [
    { key: 'grpc-listen', ...config.grpcListen },
    { key: 'admin-listen', ...config.adminListen }
  ]
  if (config.webListen !== undefined) out.push({ key: 'web-listen', ...config.webListen })
  if (config.openaiListen !== undefined) out.push({ key: 'openai-listen', ...config.openaiListen })
  if (config.clusterKeyFile !== undefined) {
    const p2p = p2pAddress(config.p2pListen)
    if (p2p !== undefined) out.push(p2p)
  }
  return out
}

/** A plain /ip4 or /ip6 TCP multiaddr as p2p-listen's address (undefined for any other). */
export function p2pAddress (multiaddr: string): ListenAddress | undefined {
  const m = /^\/(ip4|ip6)\/([^/]+)\/tcp\/(\d+)$/.exec(multiaddr)
  return m === null ? undefined : { key: 'p2p-listen', host: m[2] as string, port: Number(m[3]) }
}

/**
 * Refuses, as a ConfigError naming the key to change, an address another process listens on, one
 * this machine does not have, one that needs privileges, or one given to two keys: checked before
 * anything is written or listens, so a node that cannot start leaves nothing behind (a later
 * listen can still lose a race, and fails then). Port 0 (any free port) is not checked.
 */
export async function checkListenAddresses (addresses: readonly ListenAddress[]): Promise<void> {
  const seen = new Map<string, string>()
  for (const a of addresses) {
    if (a.port === 0) continue
    const at = `${a.host}:${a.port}`
    const other = seen.get(at)
    if (other !== undefined) throw new ConfigError(a.key, `${at} is also --${other}'s address: give each its own port`)
    seen.set(at, a.key)
  }
  for (const a of addresses) {
    if (a.port !== 0) await probe(a)
  }
}

async function probe (a: ListenAddress): Promise<void> {
  const server = createServer()
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', resolve)
    server.listen({ host: a.host, port: a.port, exclusive: true }, () => { resolve(undefined) })
  })
  if (failure === undefined) {
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    return
  }
  throw new ConfigError(a.key, listenRefusal(a, failure))
}

/** One line saying why `a` cannot be listened on and which flag changes it. */
export function listenRefusal (a: ListenAddress, err: NodeJS.ErrnoException): string {
  const at = `${a.host}:${a.port}`
  switch (err.code) {
    case 'EADDRINUSE': return `${at} is in use by another process (another node?): give --${a.key} a free port, or port 0 for any`
    case 'EADDRNOTAVAIL': return `${a.host} is not an address of this machine: give --${a.key} one it has (127.0.0.1, 0.0.0.0 for every interface)`
    case 'EACCES': return `${at} needs privileges this process lacks (a port below 1024?): give --${a.key} a port from 1024 up`
    case 'ENOTFOUND': case 'EAI_AGAIN': return `${a.host} does not resolve to an address: give --${a.key} an IP address or a name this machine resolves`
    default: return `cannot listen on ${at} (${err.code ?? err.message}): give --${a.key} another address`
  }
}

/**
 * Refuses, as a ConfigError on `data-dir`, a data dir that cannot be one: a file, or a path under
 * a file. Nothing is made here (the preflight makes the dir after every check passed).
 */
export async function checkDataDir (dir: string): Promise<void> {
  const found = await stat(dir).catch((err: NodeJS.ErrnoException) => err)
  if (!(found instanceof Error)) {
    if (!found.isDirectory()) throw new ConfigError('data-dir', `${dir} is a file, not a directory: give --data-dir a directory (made when missing)`)
    return
  }
  if (found.code === 'ENOTDIR') throw new ConfigError('data-dir', `${dir} lies under a file, not a directory: give --data-dir a path of directories (made when missing)`)
  if (found.code !== 'ENOENT') throw new ConfigError('data-dir', `${dir} cannot be read (${found.code ?? found.message}): give --data-dir a directory this user may write`)
  // missing: its nearest existing parent must be a directory this user may write into
  let parent = dirname(dir)
  for (;;) {
    const p = await stat(parent).catch((err: NodeJS.ErrnoException) => err)
    if (!(p instanceof Error)) {
      if (!p.isDirectory()) throw new ConfigError('data-dir', `${dir} lies under ${parent}, a file: give --data-dir a path of directories (made when missing)`)
      return
    }
    if (p.code === 'ENOTDIR') throw new ConfigError('data-dir', `${dir} lies under a file, not a directory: give --data-dir a path of directories (made when missing)`)
    const up = dirname(parent)
    if (up === parent) return
    parent = up
  }
}
