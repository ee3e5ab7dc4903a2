import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'

/** The limits per client address lifted too: a fuzzer sends bad tokens on purpose, and throttled
 * it would test only the throttle (refusals, changing nothing, which the fuzzing checks anyway). */
const NO_CLIENT_LIMITS = ['--auth-failures-per-min', '0', '--streams-per-ip', '0', '--ip-rate', '0', '--user-rate', '0']

/**
 * A real `plexi node start` process for the fuzz targets that need one (gRPC, the garbage peer),
 * in a temp data dir, with a cluster key (so it listens for peers) and one user. Rate limits are
 * lifted (startNodeProcess, NO_CLIENT_LIMITS).
 */
export class FuzzNode {
  node!: NodeProcess
  /** The cluster key file's text (the pnet pre-shared key). */
  clusterKey = ''
  /** The user's name and token. */
  readonly user = 'fuzzer'
  token = ''
  /** Its p2p multiaddr, with /p2p/<peer id>. */
  p2p = ''
  peerId = ''
  readonly #dirs: Array<{ path: string, remove: () => Promise<void> }> = []

  async start (args: readonly string[] = []): Promise<void> {
    const keyDir = await this.#tempDir()
    const key = await runCli(['cluster', 'keygen'])
    if (key.code !== 0) throw new Error(`plexi cluster keygen failed: ${key.stderr}`)
    this.clusterKey = key.stdout
    const keyFile = join(keyDir, 'cluster.key')
    await writeFile(keyFile, key.stdout, { mode: 0o600 })
    this.node = await startNodeProcess(await this.#tempDir(), ['--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', ...NO_CLIENT_LIMITS, ...args], 60_000)
    const ready = await this.node.awaitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'), 'node ready')
    this.peerId = ready.peerId as string
    this.p2p = (ready.p2p as string[])[0] as string
    this.token = (await this.api<{ token: string }>('/users', { method: 'POST', body: { name: this.user } })).token
  }

  /** The admin API (bearer its admin token): the answer's JSON, or a throw naming the status. */
  async api<T>(path: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
    const res = await fetch(`http://${this.node.admin}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${this.node.adminToken}`, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(15_000)
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`)
    return JSON.parse(text) as T
  }

  async close (): Promise<void> {
    await this.node?.stop('SIGKILL', 20_000).catch(() => undefined)
    for (const d of this.#dirs) await d.remove()
  }

  async #tempDir (): Promise<string> {
    const dir = await tempDir('plexi-fuzz-')
    this.#dirs.push(dir)
    return dir.path
  }
}
