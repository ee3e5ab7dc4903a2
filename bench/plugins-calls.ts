/**
 * Tool calls through a plugin process against the same function called in the node's process
 * (`npm run bench -- plugins`, part b), and a plugin's bare start (the baseline of install → first
 * call). The host is the node's own PluginHost, in this process as it is in a node's; the plugin is
 * the clock example, a real sandboxed process; the function is the clock's own `addDays`.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pino } from 'pino'
import { addDays } from '../docs/plugins/examples/clock/clock-tools.ts'
import { ClusterTools, PluginHost, readPluginManifest } from '../node/plugins/index.ts'
import { ServiceFailures } from '../node/services/index.ts'
import { exampleDir } from '../test/helpers/example-plugins.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { median, percentile } from './figure.ts'

/** Sequential calls per latency sample set. */
const LATENCY_CALLS = 2_000
const WARM_UP_CALLS = 500
/** How long each concurrency level runs. */
const THROUGHPUT_MS = 2_000
/** Calls in flight on one plugin: up to half of what the host lets one plugin have (256). */
export const CONCURRENCY = [1, 4, 16, 64, 128] as const
const ARGS = { date: '2024-02-28', days: 1 } as const

export interface CallFigures {
  /** p50 of one call, ms: the function in this process, through the host, through ClusterTools. */
  readonly direct: number
  readonly host: number
  readonly provider: number
  readonly hostP99: number
  readonly directP99: number
  /** Calls/s at each concurrency level, through the host. */
  readonly rates: ReadonlyMap<number, number>
  /** Calls/s of the function in this process, one after another. */
  readonly directRate: number
}

/** The p50s and rates of part (b), the clock running under a host of its own in a temp data dir. */
export async function measureCalls (log: (line: string) => void): Promise<CallFigures> {
  const dir = await tempDir('plexi-bench-plugins-')
  const host = await PluginHost.open({ dataDir: dir.path, log: pino({ level: 'warn' }, pino.destination(2)), failures: new ServiceFailures() })
  try {
    const clock = await exampleDir('clock')
    await host.start({ name: 'clock', version: '1.0.0', dir: clock, manifest: await readPluginManifest(clock) })
    // the node's ToolProvider over the same host, as an agent's calls reach it (no member needed)
    const provider = new ClusterTools({ self: 'bench', host: () => host, members: () => [], ask: async () => { throw new Error('no member') }, allowed: async () => true, log: { debug: () => undefined } })
    let id = 0
    const viaHost = async (): Promise<void> => { check(await host.call({ id: `b${id++}`, name: 'clock__add_days', arguments: ARGS })) }
    const viaProvider = async (): Promise<void> => { check(await provider.call('bench', { id: `p${id++}`, name: 'clock__add_days', arguments: ARGS })) }
    const direct = async (): Promise<void> => {
      const a = addDays(ARGS)
      check({ isError: a.isError === true, text: a.text })
    }
    for (let i = 0; i < WARM_UP_CALLS; i++) { await viaHost(); await viaProvider(); await direct() }
    // interleaved rounds: the three see the same machine
    const samples = { direct: [] as number[], host: [] as number[], provider: [] as number[] }
    for (let round = 0; round < 3; round++) {
      samples.direct.push(...await timed(LATENCY_CALLS / 4, direct))
      samples.host.push(...await timed(LATENCY_CALLS / 2, viaHost))
      samples.provider.push(...await timed(LATENCY_CALLS / 4, viaProvider))
    }
    const rates = new Map<number, number>()
    for (const k of CONCURRENCY) {
      rates.set(k, await rate(k, viaHost))
      log(`  ${k} in flight: ${Math.round(rates.get(k) as number)} calls/s`)
    }
    return {
      direct: percentile(samples.direct, 50),
      host: percentile(samples.host, 50),
      provider: percentile(samples.provider, 50),
      hostP99: percentile(samples.host, 99),
      directP99: percentile(samples.direct, 99),
      rates,
      directRate: directRate()
    }
  } finally {
    await host.close()
    await dir.remove()
  }
}

function check (r: { isError: boolean, text: string }): void {
  if (r.isError || r.text !== '2024-02-29 (Thursday)') throw new Error(`bench: the clock answered ${r.text}`)
}

async function timed (n: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    await fn()
    out.push(performance.now() - start)
  }
  return out
}

/** Calls/s with `inFlight` calls outstanding for THROUGHPUT_MS. */
async function rate (inFlight: number, fn: () => Promise<void>): Promise<number> {
  let done = 0
  const start = performance.now()
  const end = start + THROUGHPUT_MS
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await fn()
      done++
    }
  }))
  return done / ((performance.now() - start) / 1000)
}

function directRate (): number {
  let n = 0
  const start = performance.now()
  while (performance.now() - start < 200) {
    for (let i = 0; i < 1_000; i++) addDays(ARGS)
    n += 1_000
  }
  return n / ((performance.now() - start) / 1000)
}

/**
 * The clock's process started bare, as its README shows (the permission model, no host): spawn
 * to the answer of its first tool call, median of `rounds`. What any install pays before Plexi's
 * own work (storing, replicating, unpacking, supervising).
 */
export async function bareFirstCall (rounds: number): Promise<number> {
  const clock = await exampleDir('clock')
  const times: number[] = []
  const cwd = await tempDir('plexi-bench-bare-')
  try {
    for (let i = 0; i < rounds; i++) {
      const start = performance.now()
      const child = spawn(process.execPath, ['--permission', `--allow-fs-read=${clock}`, '--', join(clock, 'server.ts')], { cwd: cwd.path, env: {}, stdio: ['pipe', 'pipe', 'ignore'] })
      const answered = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('bench: the bare clock did not answer in 10 s')) }, 10_000)
        createInterface({ input: child.stdout }).on('line', (line) => {
          if ((JSON.parse(line) as { id?: number }).id === 2) { clearTimeout(timer); resolve() }
        })
      })
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })}\n`)
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_days', arguments: ARGS } })}\n`)
      await answered
      times.push(performance.now() - start)
      child.stdin.end()
      await new Promise((resolve) => { child.on('exit', resolve) })
    }
  } finally {
    await cwd.remove()
  }
  return median(times)
}
