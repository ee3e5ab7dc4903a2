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
  return (await loadConfig({ flags: { 'data-dir': join(dir, 'data'), 'models-dir': join(dir, 'models'), 'grpc-listen': '127.0.0.1:0', 'admin-listen': '127.0.0.1:0', role: 'chat,storage', ...flags }, env: {}, cwd: dir })).config
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

export async function startPartsUpTo (lastId: string, flags: Record<string, unknown> = {}): Promise<StartedParts> {
  const last = NODE_PARTS.findIndex((p) => p.id === lastId)
  if (last === -1) throw new Error(`no part ${lastId}`)
  const dir = await tempDir()
  const { log, lines } = keptLog()
  const config = await loneConfig(dir.path, flags)
  const c = nodeBase(config, log, await nodePreflight(config))
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
