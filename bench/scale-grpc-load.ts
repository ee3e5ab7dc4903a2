/**
 * The gRPC load of `npm run bench -- scale`, run as a process of its own (as autocannon is for the
 * web API): unary Agent calls, `inFlight` of them at every moment, each from the next of the
 * users in turn (its own bearer token) to the next of the targets in turn, for `seconds` after
 * `warmupSeconds` not counted. `method` GetSettings, History (limit 10), Tools, or `mixed` (the
 * three in turn). Each target gets `channels` connections of its own.
 *
 * `node bench/scale-grpc-load.ts CONFIG` (a JSON file of GrpcLoad) prints one JSON line: GrpcLoadResult.
 */
import { readFile } from 'node:fs/promises'
import * as grpc from '@grpc/grpc-js'
import { loadAgentService } from '../protocols/grpc/index.ts'

export interface GrpcLoad {
  readonly targets: readonly string[]
  readonly tokens: readonly string[]
  readonly method: 'GetSettings' | 'History' | 'Tools' | 'mixed'
  readonly seconds: number
  readonly warmupSeconds: number
  readonly inFlight: number
  readonly channels: number
}

export interface GrpcLoadResult {
  /** calls answered OK per second, counted after the warmup */
  readonly rate: number
  readonly meanMs: number
  readonly p99Ms: number
  readonly ok: number
  /** failed calls by status code name */
  readonly errors: Record<string, number>
}

/** A deadline no call of a working node comes near; one that passes it is counted as failed. */
const CALL_DEADLINE_MS = 10_000
const METHODS = ['GetSettings', 'History', 'Tools'] as const

async function run (load: GrpcLoad): Promise<GrpcLoadResult> {
  const { Client } = loadAgentService()
  type Call = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => void
  const clients = load.targets.flatMap((target) => Array.from({ length: load.channels }, () =>
    new Client(target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as grpc.Client & Record<string, Call>))
  const metadata = load.tokens.map((token) => {
    const md = new grpc.Metadata()
    md.set('authorization', `Bearer ${token}`)
    return md
  })
  const requests: Record<(typeof METHODS)[number], unknown> = { GetSettings: { user: '' }, History: { user: '', limit: 10 }, Tools: { user: '' } }
  let next = 0
  let ok = 0
  let sumMs = 0
  const latencies: number[] = []
  const errors: Record<string, number> = {}
  const started = performance.now()
  const countFrom = started + load.warmupSeconds * 1000
  const end = countFrom + load.seconds * 1000
  const one = async (): Promise<void> => {
    const i = next++
    const method = load.method === 'mixed' ? METHODS[i % METHODS.length] as (typeof METHODS)[number] : load.method
    const client = clients[i % clients.length] as grpc.Client & Record<string, Call>
    const t0 = performance.now()
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      (client[method] as Call).call(client, requests[method], metadata[i % metadata.length] as grpc.Metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, resolve)
    })
    const t1 = performance.now()
    if (t0 < countFrom || t1 > end) return
    if (err !== null) {
      const code = grpc.status[err.code] ?? String(err.code)
      errors[code] = (errors[code] ?? 0) + 1
      return
    }
    ok++
    sumMs += t1 - t0
    // every 8th latency kept for the percentile (bounded: at most a few hundred thousand)
    if (ok % 8 === 0) latencies.push(t1 - t0)
  }
  await Promise.all(Array.from({ length: load.inFlight }, async () => {
    while (performance.now() < end) await one()
  }))
  for (const c of clients) c.close()
  latencies.sort((a, b) => a - b)
  return { rate: ok / load.seconds, meanMs: ok === 0 ? Number.NaN : sumMs / ok, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN, ok, errors }
}

const configFile = process.argv[2]
if (configFile !== undefined && import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const result = await run(JSON.parse(await readFile(configFile, 'utf8')) as GrpcLoad)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
