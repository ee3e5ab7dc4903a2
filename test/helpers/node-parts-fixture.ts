import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { loadConfig } from '../../config/index.ts'
import type { NodeConfig } from '../../config/index.ts'
import { Lifecycle } from '../../node/lifecycle.ts'
import { NODE_PARTS, nodeBase, nodePreflight, startParts } from '../../node/root/index.ts'
import type { Components } from '../../node/root/index.ts'
import type { NodeComponents } from '../../node/root/index.ts'
import { tempDir } from './temp-dir.ts'

/** A logger that keeps its lines (level and message) for a spec to read. */
export function keptLog (): { log: Logger, lines: Array<{ level: number, msg: string }> } {
  const lines: Array<{ level: number, msg: string }> = []
  const sink = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as { level: number, msg: string })
      done()
    }
  })
  return { log: pino({ level: 'debug' }, sink), lines }
}

/** A lone node's configuration in `dir`: loopback on any free port, models in the dir. */
export async function loneConfig (dir: string, flags: Record<string, unknown> = {}): Promise<NodeConfig> {
  return (await loadConfig({ flags: { 'data-dir': join(dir, 'data'), 'models-dir': join(dir, 'models'), 'grpc-listen': '127.0.0.1:0', 'admin-listen': '127.0.0.1:0', 'web-listen': '127.0.0.1:0', role: 'chat,storage', ...flags }, env: {}, cwd: dir })).config
}

/** The parts of NODE_PARTS from the first to `lastId`, started for real on a lone node in a temp
 * dir, with the components they gave. */
export interface StartedParts {
  readonly c: Components<NodeComponents>
  readonly lifecycle: Lifecycle
  readonly lines: Array<{ level: number, msg: string }>
  readonly dir: string
  /** Stops the parts right to left and removes the temp dir. */
  stop (): Promise<void>
}

export interface StartPartsOptions {
  /** Configuration flags over the lone node's. */
  readonly flags?: Record<string, unknown>
  /** Join a cluster: a cluster key file of its own and a p2p listener on loopback. */
  readonly clusterKey?: boolean
  /** The temp dir to use (a restart); stop() leaves it. @default a new one */
  readonly dir?: string
  /** Flags over `flags` for the preflight's checks only: what the machine was when the node checked
   * it (a port another process takes between the check and the listen). */
  readonly preflightFlags?: Record<string, unknown>
}

/** Writes a new cluster key file (as `plexi cluster keygen --out`) in `dir`; returns its path. */
export async function clusterKeyFile (dir: string): Promise<string> {
  const { generateKey } = await import('@libp2p/pnet')
  const key = new Uint8Array(95)
  generateKey(key)
  const path = join(dir, 'cluster.key')
  await writeFile(path, `${Buffer.from(key).toString('utf8')}\n`, { mode: 0o600 })
  return path
}

export async function startPartsUpTo (lastId: string, opts: StartPartsOptions = {}): Promise<StartedParts> {
  const last = NODE_PARTS.findIndex((p) => p.id === lastId)
  if (last === -1) throw new Error(`no part ${lastId}`)
  const dir = opts.dir === undefined ? await tempDir() : { path: opts.dir, remove: async () => undefined }
  const { log, lines } = keptLog()
  const flags = opts.clusterKey === true ? { 'cluster-key-file': await clusterKeyFile(dir.path), 'p2p-listen': '/ip4/127.0.0.1/tcp/0', ...opts.flags } : (opts.flags ?? {})
  const config = await loneConfig(dir.path, flags)
  const checked = opts.preflightFlags === undefined ? config : await loneConfig(dir.path, { ...flags, ...opts.preflightFlags })
  const c = nodeBase(config, log, await nodePreflight(checked))
  const lifecycle = new Lifecycle(log)
  const stop = async (): Promise<void> => {
    await lifecycle.stop()
    await dir.remove()
  }
  try {
    await startParts(lifecycle, NODE_PARTS.slice(0, last + 1), c)
  } catch (err) {
    await stop()
    throw err
  }
  return { c, lifecycle, lines, dir: dir.path, stop }
}
