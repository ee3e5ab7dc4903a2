/**
 * The gRPC load of `npm run bench -- scale`, run as a process of its own (as autocannon is for the
 * web API): unary Agent calls, `inFlight` of them at every moment, each from the next of the
 * users in turn (its own bearer token) to the next of the targets in turn, for `seconds` after
 * `warmupSeconds` not counted. `method` GetSettings, History (limit 10), Tools, or `mixed` (the
 * three in turn). Each target gets `channels` connections of its own.
 *
 * `follow`: each user is a client given one of the targets (user i the (i mod n)th) that follows
 * the Agent calls' AGENT_NODE_HEADER to its agent's node (protocols/grpc AgentRoutes), as a
 * long-lived client does; every user makes one GetSettings call first, not counted (a client that
 * has been connected a while has learnt its agent's node). Without it, calls go to the targets in
 * turn whoever makes them.
 *
 * `node bench/scale-grpc-load.ts CONFIG` (a JSON file of GrpcLoad) prints one JSON line: GrpcLoadResult.
 */
import { readFile } from 'node:fs/promises'
import * as grpc from '@grpc/grpc-js'
import { AgentRoutes, loadAgentService } from '../protocols/grpc/index.ts'

export interface GrpcLoad {
  readonly targets: readonly string[]
  readonly tokens: readonly string[]
  readonly method: 'GetSettings' | 'History' | 'Tools' | 'mixed'
  readonly seconds: number
  readonly warmupSeconds: number
  readonly inFlight: number
  readonly channels: number
  readonly follow?: boolean
  /** The nodes' /metrics URLs: the mesh envelopes they sent during the counted seconds, read at
   * their start and end (GrpcLoadResult.envelopes). */
  readonly metrics?: readonly string[]
}

export interface GrpcLoadResult {
  /** calls answered OK per second, counted after the warmup */
  readonly rate: number
  readonly meanMs: number
  readonly p99Ms: number
  readonly ok: number
  /** failed calls by status code name */
  readonly errors: Record<string, number>
  /** `follow`: users whose first call (before the count) failed */
  readonly unlearnt?: number
  /** `metrics`: envelopes the nodes sent during the counted seconds, by kind and in all (`total`) */
  readonly envelopes?: Record<string, number>
}

/** A deadline no call of a working node comes near; one that passes it is counted as failed. */
const CALL_DEADLINE_MS = 10_000
const METHODS = ['GetSettings', 'History', 'Tools'] as const

type Call = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall
type AgentClient = grpc.Client & Record<string, Call>

/** `channels` clients per address, made when an address is first called. */
class Channels {
  readonly #made = new Map<string, AgentClient[]>()
  readonly #Client = loadAgentService().Client
  readonly #channels: number

  constructor (channels: number) {
    this.#channels = channels
  }

  of (address: string, i: number): AgentClient {
    let list = this.#made.get(address)
    if (list === undefined) {
      list = Array.from({ length: this.#channels }, () => new this.#Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as AgentClient)
      this.#made.set(address, list)
    }
    return list[i % list.length] as AgentClient
  }

  close (): void {
    for (const list of this.#made.values()) for (const c of list) c.close()
  }
}

async function run (load: GrpcLoad): Promise<GrpcLoadResult> {
  const channels = new Channels(load.channels)
  const metadata = load.tokens.map((token) => {
    const md = new grpc.Metadata()
    md.set('authorization', `Bearer ${token}`)
    return md
  })
  const requests: Record<(typeof METHODS)[number], unknown> = { GetSettings: { user: '' }, History: { user: '', limit: 10 }, Tools: { user: '' } }
  const routes = load.follow === true ? load.targets.map((t) => new AgentRoutes(t)) : undefined
  /** One call of user `u`'s, its `n`th: where it went and how it ended. */
  const send = async (method: (typeof METHODS)[number], u: number, n: number): Promise<grpc.ServiceError | null> => {
    const route = routes?.[u % routes.length]
    const user = String(u)
    const at = route === undefined ? load.targets[n % load.targets.length] as string : route.target(user)
    const client = channels.of(at, n)
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = (client[method] as Call).call(client, requests[method], metadata[u] as grpc.Metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, resolve)
      if (route !== undefined) call.on('metadata', (md: grpc.Metadata) => { route.heard(user, at, md) })
    })
    if (err !== null) route?.failed(user, at)
    return err
  }
  let unlearnt = 0
  if (routes !== undefined) {
    // every user's client learns its agent's node first (not counted; one whose call failed
    // stays with its given node until a call of the load names the agent's)
    for (const t of load.targets) channels.of(t, 0)
    let u = 0
    await Promise.all(Array.from({ length: load.inFlight }, async () => {
      while (u < load.tokens.length) if (await send('GetSettings', u, u++) !== null) unlearnt++
    }))
  }
  let next = 0
  let ok = 0
  let sumMs = 0
  const latencies: number[] = []
  const errors: Record<string, number> = {}
  const started = performance.now()
  const countFrom = started + load.warmupSeconds * 1000
  const end = countFrom + load.seconds * 1000
  const urls = load.metrics ?? []
  const atStart = urls.length === 0 ? undefined : new Promise<void>((resolve) => { setTimeout(resolve, countFrom - performance.now()) }).then(async () => await envelopesSent(urls))
  const one = async (): Promise<void> => {
    const i = next++
    const method = load.method === 'mixed' ? METHODS[i % METHODS.length] as (typeof METHODS)[number] : load.method
    const t0 = performance.now()
    const err = await send(method, i % metadata.length, i)
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
  const envelopes = atStart === undefined ? undefined : delta(await atStart, await envelopesSent(urls))
  channels.close()
  latencies.sort((a, b) => a - b)
  return { rate: ok / load.seconds, meanMs: ok === 0 ? Number.NaN : sumMs / ok, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN, ok, errors, ...(routes !== undefined && { unlearnt }), ...(envelopes !== undefined && { envelopes }) }
}

/** The nodes' envelopes sent, by kind and in all (`total`), summed over the nodes. */
async function envelopesSent (urls: readonly string[]): Promise<Map<string, number>> {
  const sum = new Map<string, number>()
  for (const text of await Promise.all(urls.map(async (u) => await (await fetch(u)).text()))) {
    sum.set('total', (sum.get('total') ?? 0) + Number(/^plexi_mesh_envelopes_sent_total (\S+)$/m.exec(text)?.[1] ?? 0))
    for (const m of text.matchAll(/^plexi_mesh_envelopes_sent_by_kind_total\{kind="([^"]*)"\} (\S+)$/gm)) {
      sum.set(m[1] as string, (sum.get(m[1] as string) ?? 0) + Number(m[2]))
    }
  }
  return sum
}

function delta (before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...after].map(([k, n]) => [k, n - (before.get(k) ?? 0)]))
}

const configFile = process.argv[2]
if (configFile !== undefined && import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const result = await run(JSON.parse(await readFile(configFile, 'utf8')) as GrpcLoad)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
