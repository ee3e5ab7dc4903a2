import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { HostedPlugin, HostedRun, HostedState, PluginHostPort } from '../../node/plugin-registry/index.ts'

/** How long a stopped version's calls in flight are waited for. */
const DRAIN_MS = 5_000
/** Stderr lines kept per version (as the host keeps them). */
const LOG_LINES = 500

interface Instance {
  readonly name: string
  readonly version: string
  readonly client: Client
  readonly transport: StdioClientTransport
  state: HostedState
  inFlight: number
  lastExit: HostedRun['lastExit']
  readonly lines: string[]
  readonly drained: Set<() => void>
}

/**
 * A minimal plugin launcher for the registry's specs, until the plugin host (node/plugins) is on
 * this branch: it does what the registry asks of the host (PluginHostPort) with real processes
 * and the official MCP client (@modelcontextprotocol/sdk over stdio): `start` spawns the manifest's
 * entry in the unpacked folder and resolves once it answered initialize and listed its tools,
 * after which the plugin's calls go to it; `stop` takes the calls away from it, waits for those in
 * flight, and closes it. No sandbox, no supervision: those are the host's.
 */
export class TestPluginLauncher implements PluginHostPort {
  readonly #instances = new Map<string, Instance>()
  /** The version each plugin's calls go to. */
  readonly #routes = new Map<string, string>()
  /** Hears every call as it ends, as the host's `onCall` does. */
  readonly #onCall: ((source: string, outcome: string, seconds: number) => void) | undefined
  /** Started and stopped, in order (`start clock 1.0.0`, `stop clock 1.0.0`). */
  readonly events: string[] = []

  constructor (opts: { onCall?: (source: string, outcome: string, seconds: number) => void } = {}) {
    this.#onCall = opts.onCall
  }

  async start (p: HostedPlugin): Promise<void> {
    const entry = p.manifest.entry
    const [command, args] = 'node' in entry ? [process.execPath, [join(p.dir, entry.node)]] : [join(p.dir, entry.command), [...entry.args ?? []]]
    const transport = new StdioClientTransport({ command, args, cwd: p.dir, stderr: 'pipe' })
    const lines: string[] = []
    const stderr = transport.stderr as Readable | null
    if (stderr !== null) {
      createInterface({ input: stderr }).on('line', (line) => {
        lines.push(line)
        if (lines.length > LOG_LINES) lines.shift()
      })
    }
    const client = new Client({ name: 'plexi-test-launcher', version: '1.0.0' })
    try {
      await client.connect(transport)
      await client.listTools()
    } catch (err) {
      await client.close().catch(() => undefined)
      throw new Error(`plugin ${p.name}@${p.version} did not start: ${(err as Error).message}${lines.length === 0 ? '' : ` (stderr: ${lines.slice(-3).join(' | ')})`}`)
    }
    const instance: Instance = { name: p.name, version: p.version, client, transport, state: 'up', inFlight: 0, lastExit: undefined, lines, drained: new Set() }
    // the client's own handler fails the calls in flight; the launcher's marks the instance ended
    const closed = transport.onclose
    transport.onclose = () => {
      if (instance.state !== 'stopping') {
        instance.state = 'stopped'
        instance.lastExit = { reason: 'crash', detail: 'its process exited', at: Date.now() }
      }
      closed?.()
    }
    this.#instances.set(key(p.name, p.version), instance)
    this.#routes.set(p.name, p.version)
    this.events.push(`start ${p.name} ${p.version}`)
  }

  async stop (name: string, version: string): Promise<void> {
    const instance = this.#instances.get(key(name, version))
    if (instance === undefined) return
    instance.state = 'stopping'
    if (this.#routes.get(name) === version) {
      const other = [...this.#instances.values()].find((i) => i.name === name && i.state === 'up')
      if (other === undefined) this.#routes.delete(name)
      else this.#routes.set(name, other.version)
    }
    if (instance.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_MS)
        instance.drained.add(() => { clearTimeout(timer); resolve() })
      })
    }
    await instance.client.close()
    this.#instances.delete(key(name, version))
    this.events.push(`stop ${name} ${version}`)
  }

  /** Calls a tool of a plugin, on the version its calls go to now; answers its text. */
  async call (name: string, tool: string, args: Record<string, unknown> = {}): Promise<string> {
    const version = this.#routes.get(name)
    const instance = version === undefined ? undefined : this.#instances.get(key(name, version))
    if (instance === undefined) throw new Error(`plugin ${name} is not running here`)
    instance.inFlight++
    const started = performance.now()
    let outcome = 'error'
    try {
      const result = await instance.client.callTool({ name: tool, arguments: args })
      if (result.isError !== true) outcome = 'ok'
      return (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('')
    } finally {
      this.#onCall?.(name, outcome, (performance.now() - started) / 1_000)
      instance.inFlight--
      if (instance.inFlight === 0) for (const done of instance.drained) done()
    }
  }

  running (): HostedRun[] {
    return [...this.#instances.values()].map((i) => ({
      name: i.name, version: i.version, state: i.state, restarts: 0, rssBytes: i.state === 'up' ? rssOf(i.transport.pid) : 0, lastExit: i.lastExit
    }))
  }

  logs (name: string, version?: string): string[] {
    const instance = this.#instances.get(key(name, version ?? this.#routes.get(name) ?? ''))
    if (instance === undefined) throw new Error(`no plugin ${name}${version === undefined ? '' : `@${version}`} runs here`)
    return [...instance.lines]
  }

  /** The process id of a running version (to kill it in a spec). */
  pid (name: string, version: string): number | null {
    return this.#instances.get(key(name, version))?.transport.pid ?? null
  }

  async close (): Promise<void> {
    for (const i of [...this.#instances.values()]) await this.stop(i.name, i.version)
  }
}

function key (name: string, version: string): string {
  return `${name}@${version}`
}

/** A process's resident memory (Linux: /proc/<pid>/status), 0 when it cannot be read. */
function rssOf (pid: number | null): number {
  if (pid === null) return 0
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? 0 : Number(kib) * 1024
  } catch {
    return 0
  }
}
