/**
 * What tracing costs a chat node (issue 41, item 5): three `plexi node start` processes in the same
 * run, one with tracing off, one exporting 1% of traces (`--trace-sample 0.01`, the default once an
 * endpoint is set) and one exporting every trace (`--trace-sample 1`), each to an OTLP/HTTP
 * receiver in this process (it reads and answers each export, as a collector would, and keeps
 * nothing). Rounds interleave the three nodes, so each sees the same machine; each figure is the
 * median over the rounds.
 *
 * - posts/s: POSTS posts, IN_FLIGHT at a time, until SUBSCRIBERS subscribers have them all
 *   (bench/chat.ts `throughput`). Goal at 1%: at most 3% fewer than with tracing off.
 * - post→deliver p50: one post at a time, from the call to the subscriber's receipt (bench/chat.ts
 *   `postDeliverLatency`). Goal at 1%: at most 1.05× tracing off.
 * The nodes are alone (one process each: a post's spans stay in it); the cross-node hop's extra,
 * a trace field of about 60 bytes on a sampled message's envelope, is not in these figures.
 */
import { createServer } from 'node:http'
import { chatClient, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { postDeliverLatency, throughput } from './chat.ts'
import type { Client } from './chat.ts'
import { collector, envNumber, figure, median, percentile } from './figure.ts'
import type { Bench } from './figure.ts'

const ROUNDS = envNumber('BENCH_TRACING_ROUNDS', 5, { integer: true })
const SUBSCRIBERS = 10
const POSTERS = 4

/** An OTLP/HTTP receiver that reads each export whole and answers 200, keeping only counts. */
async function sink (): Promise<{ endpoint: string, requests: () => number, bytes: () => number, close: () => Promise<void> }> {
  let requests = 0
  let bytes = 0
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => { bytes += c.byteLength })
    req.on('end', () => {
      requests++
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const address = server.address() as { port: number }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests: () => requests,
    bytes: () => bytes,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}

interface Side {
  readonly label: string
  readonly node: NodeProcess
  readonly posters: Client[]
  readonly subscribers: Client[]
  readonly reader: Client
  readonly rates: number[]
  readonly latencies: number[]
}

async function counter (node: NodeProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://${node.admin}/metrics`)).text()
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
}

export const tracingBench: Bench = {
  name: 'tracing',
  description: 'chat posts/s and post→deliver p50 with tracing off, at 1% and at 100% sampling (three nodes in one run)',
  async run (log) {
    const { figures, add } = collector(log)
    const receiver = await sink()
    const flags = ['--chat-rate', '100000', '--chat-burst', '100000']
    const configs: Array<[string, string[]]> = [
      ['off', []],
      ['1%', ['--otlp-endpoint', receiver.endpoint, '--trace-sample', '0.01']],
      ['100%', ['--otlp-endpoint', receiver.endpoint, '--trace-sample', '1']]
    ]
    const dirs = await Promise.all(configs.map(async () => await tempDir('plexi-bench-tracing-')))
    const clients: Client[] = []
    const sides: Side[] = []
    try {
      for (const [i, [label, args]] of configs.entries()) {
        const node = await startNodeProcess((dirs[i] as { path: string }).path, [...flags, ...args])
        const token = async (name: string): Promise<string> => {
          const res = await fetch(`http://${node.admin}/api/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) })
          return ((await res.json()) as { token: string }).token
        }
        const alice = await token('alice')
        const bob = await token('bob')
        const client = (t: string): Client => { const c = chatClient(node.grpc, t); clients.push(c); return c }
        sides.push({ label, node, posters: Array.from({ length: POSTERS }, () => client(alice)), subscribers: Array.from({ length: SUBSCRIBERS }, () => client(bob)), reader: client(bob), rates: [], latencies: [] })
      }
      // warm up every node (JIT, connections, the rooms' activation)
      for (const side of sides) {
        await postDeliverLatency(side.posters[0] as Client, side.reader, 'warm-up')
        await throughput(side.posters, 'warm-up-tp', side.subscribers)
      }
      for (let round = 0; round < ROUNDS; round++) {
        // each round in another order, so that no side always runs first
        const order = sides.map((_, i) => sides[(i + round) % sides.length] as Side)
        for (const side of order) side.rates.push(await throughput(side.posters, `tp-${round}`, side.subscribers))
        for (const side of order) side.latencies.push(...await postDeliverLatency(side.posters[0] as Client, side.reader, `latency-${round}`))
        log(`  round ${round + 1}/${ROUNDS}: ${sides.map((s) => `${s.label} ${Math.round(s.rates.at(-1) ?? 0)} posts/s`).join(', ')}`)
      }
      const [off, one, all] = sides as [Side, Side, Side]
      add(figure('posts-per-second-trace-1pct', 'posts/s', median(one.rates), 'tracing off, same run', median(off.rates), '>= 0.97'))
      add(figure('posts-per-second-trace-100pct', 'posts/s', median(all.rates), 'tracing off, same run', median(off.rates), 'quoted'))
      add(figure('post-deliver-p50-trace-1pct', 'ms', percentile(one.latencies, 50), 'tracing off, same run, p50', percentile(off.latencies, 50), '<= 1.05x'))
      add(figure('post-deliver-p50-trace-100pct', 'ms', percentile(all.latencies, 50), 'tracing off, same run, p50', percentile(off.latencies, 50), 'quoted'))
      add(figure('post-deliver-p99-trace-100pct', 'ms', percentile(all.latencies, 99), 'tracing off, same run, p99', percentile(off.latencies, 99), 'quoted'))
      for (const side of [one, all]) {
        log(`  ${side.label}: spans exported ${await counter(side.node, 'plexi_trace_spans_exported_total')}, dropped ${await counter(side.node, 'plexi_trace_spans_dropped_total')}, failed ${await counter(side.node, 'plexi_trace_spans_failed_total')}`)
      }
      log(`  the receiver took ${receiver.requests()} export requests, ${(receiver.bytes() / 1_048_576).toFixed(1)} MiB`)
    } finally {
      for (const client of clients) client.close()
      for (const side of sides) await side.node.stop()
      for (const dir of dirs) await dir.remove()
      await receiver.close()
    }
    return figures
  }
}
