/**
 * The agents part of `npm run bench -- scale`, over the real gRPC API of the three nodes:
 *
 * - requests that need no model evaluation (GetSettings, History, Tools in turn), each from the
 *   next of the users with its own token, BENCH_SCALE_IN_FLIGHT at every moment, from
 *   scale-grpc-load.ts; beside the same load on a bare grpc-js server that answers the same calls
 *   with constants behind the same token check (scale-bare.ts). Twice: each call to the next node
 *   (a client may call any node; the user's agent lives on one of them, so two calls in three
 *   cross the mesh), then each user a client of one node that follows the plexi-agent-node header
 *   to its agent's node (as a long-lived client does). Every agent is activated first (one
 *   GetSettings each) and every user's tool policy read (one Tools each), so the load reads live
 *   entities, as in a steady state. Goal: >= 10,000 requests/s with < 100 ms mean.
 * - short generations: BENCH_SCALE_GENERATORS users ask at once, again as soon as answered, each
 *   agent's max_tokens set to 8, on the generated test model (the nodes' own); beside llama.cpp
 *   directly in this process on the same file, one context batching as many sequences, 2 threads
 *   (the machine), greedy, 8 tokens from a prompt of the same length: the rate the CPU gives.
 */
import * as grpc from '@grpc/grpc-js'
import { LlamaLogLevel, getLlama } from 'node-llama-cpp'
import { DEFAULT_PERSONA } from '../actors/index.ts'
import { loadAgentService } from '../protocols/grpc/index.ts'
import { agentClient, collectAnswer } from '../test/helpers/node-process.ts'
import { figure } from './figure.ts'
import type { Figure } from './figure.ts'
import { grpcLoad } from './scale-load.ts'
import type { GrpcLoadResult } from './scale-grpc-load.ts'

export const AGENT_RATE_GOAL = 10_000
export const AGENT_MEAN_MS_GOAL = 100
/** Tokens of a short generation (issue 40). */
export const SHORT_TOKENS = 8
const QUESTION = 'Say hello.'
/** Agents activated at once before the load (each activation fences its journal on its replicas). */
const ACTIVATING = 64
const CALL_DEADLINE_MS = 30_000
/** Tries of one user's call before the load, for UNAVAILABLE and DEADLINE_EXCEEDED. */
const CALL_TRIES = 5

/** One unary Agent call per user, `inFlight` at once, spread over `targets`; resolves with the
 * seconds it took, and throws at the first call that failed (after CALL_TRIES for a retryable one). */
export async function everyAgent (targets: readonly string[], tokens: readonly string[], method: 'GetSettings' | 'Configure' | 'Tools', request: unknown, inFlight = ACTIVATING): Promise<number> {
  const { Client } = loadAgentService()
  type Call = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => void
  const clients = targets.map((t) => new Client(t, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Call>)
  const started = performance.now()
  let next = 0
  try {
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < tokens.length) {
        const i = next++
        const md = new grpc.Metadata()
        md.set('authorization', `Bearer ${tokens[i] as string}`)
        const client = clients[i % clients.length] as grpc.Client & Record<string, Call>
        // what a client retries (the node's "retry" on a machine too loaded to answer in time), a
        // few times: every call here is a read or sets what it set before
        let err: grpc.ServiceError | null = null
        for (let tries = 0; tries < CALL_TRIES; tries++) {
          err = await new Promise<grpc.ServiceError | null>((resolve) => { (client[method] as Call).call(client, request, md, { deadline: Date.now() + CALL_DEADLINE_MS }, resolve) })
          if (err === null || (err.code !== grpc.status.UNAVAILABLE && err.code !== grpc.status.DEADLINE_EXCEEDED)) break
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
        if (err !== null) throw new Error(`${method} of user ${i} on ${targets[i % targets.length] ?? ''}: ${err.details}`)
      }
    }))
  } finally {
    for (const c of clients) c.close()
  }
  return (performance.now() - started) / 1000
}

export interface AgentLoadOptions {
  /** The nodes' /metrics URLs: the mesh envelopes they sent during each load's counted seconds
   * (`plexi_mesh_envelopes_sent_by_kind_total`), what each request costs the mesh, said with the
   * figures. */
  readonly metrics: readonly string[]
  readonly dir: string
  readonly nodes: readonly string[]
  readonly bare: string
  readonly tokens: readonly string[]
  readonly seconds: number
  readonly inFlight: number
}

/** What one load cost the mesh: the nodes' envelopes per request answered, in all and by kind. */
function meshCost (result: GrpcLoadResult, who: string, log: (line: string) => void): GrpcLoadResult & { readonly envelopesPerRequest: number } {
  const sent = result.envelopes ?? {}
  // (calls in flight at the count's start and end are in the envelopes: an estimate per request)
  const perRequest = (kind: string): number => (sent[kind] ?? 0) / result.ok
  log(`  ${who}: mesh envelopes sent by the nodes during the counted seconds: ${sent.total ?? 0}, ${perRequest('total').toFixed(2)} per request answered`)
  const kinds = Object.keys(sent).filter((k) => k !== 'total').map((k) => [k, perRequest(k)] as const).filter(([, n]) => n >= 0.01).sort((a, b) => b[1] - a[1])
  log(`    of which, per request: ${kinds.length === 0 ? 'none' : kinds.map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ')}`)
  return { ...result, envelopesPerRequest: perRequest('total') }
}

export interface AgentLoads {
  readonly bare: GrpcLoadResult
  /** each call to the next node */
  readonly spread: GrpcLoadResult & { readonly envelopesPerRequest: number }
  /** each user's calls to its agent's node once a call named it */
  readonly ours: GrpcLoadResult & { readonly envelopesPerRequest: number }
}

/** The requests without a model evaluation: the bare server's, ours spread over the nodes, ours
 * following the agent's node, one after the other. */
export async function agentRequests (opts: AgentLoadOptions, log: (line: string) => void): Promise<AgentLoads> {
  const load = (targets: readonly string[], follow: boolean, metrics: readonly string[] = []): Parameters<typeof grpcLoad>[1] => ({ targets, tokens: opts.tokens, method: 'mixed', seconds: opts.seconds, warmupSeconds: 1, inFlight: opts.inFlight, channels: 2, follow, metrics })
  const bare = await grpcLoad(opts.dir, load([opts.bare], false))
  const spread = meshCost(await grpcLoad(opts.dir, load(opts.nodes, false, opts.metrics)), 'spread over the nodes', log)
  const ours = meshCost(await grpcLoad(opts.dir, load(opts.nodes, true, opts.metrics)), 'following plexi-agent-node', log)
  if ((ours.unlearnt ?? 0) > 0) log(`  (${ours.unlearnt ?? 0} users' first call, before the count, failed: they began at their given node)`)
  for (const [who, r] of [['ours, following the agent\'s node', ours], ['ours, spread over the nodes', spread], ['bare', bare]] as const) {
    log(`  agent requests, ${who}: ${Math.round(r.rate)}/s (${(r.rate / bare.rate).toFixed(2)}x bare), mean ${r.meanMs.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${r.ok} answered${Object.keys(r.errors).length > 0 ? `, failed: ${JSON.stringify(r.errors)}` : ''}`)
  }
  const failed = [bare, spread, ours].some((r) => Object.keys(r.errors).length > 0)
  if (failed) throw new Error(`agent requests failed: following ${JSON.stringify(ours.errors)}, spread ${JSON.stringify(spread.errors)}, bare ${JSON.stringify(bare.errors)}`)
  return { bare, spread, ours }
}

export function agentFigures (r: AgentLoads, users: number): Figure[] {
  return [
    figure(`agent requests, ${users} users, following the agent's node vs spread over the nodes, req/s`, 'req/s', r.ours.rate, 'the same calls, each to the next node', r.spread.rate, 'higher'),
    figure(`agent requests, ${users} users, mesh envelopes per request, following`, 'envelopes', r.ours.envelopesPerRequest, 'spread over the nodes', r.spread.envelopesPerRequest, 'lower'),
    figure(`agent requests without a model evaluation, ${users} users, req/s`, 'req/s', r.ours.rate, 'bare grpc-js server, same calls answered from memory', r.bare.rate, `>= ${AGENT_RATE_GOAL}/s`),
    figure(`agent requests without a model evaluation, ${users} users, mean ms`, 'ms', r.ours.meanMs, 'bare grpc-js server', r.bare.meanMs, `< ${AGENT_MEAN_MS_GOAL} ms`)
  ]
}

/** Answers of SHORT_TOKENS tokens a second: `tokens.length` users asking again as soon as answered. */
export async function shortGenerations (nodes: readonly string[], tokens: readonly string[], seconds: number): Promise<{ rate: number, meanMs: number, tokensPerAnswer: number }> {
  const clients = tokens.map((t, i) => agentClient(nodes[i % nodes.length] as string, t))
  try {
    // every agent asked once first: the model loads on the nodes, and each agent's turn starts warm
    await Promise.all(clients.map(async (c) => await askOnce(c)))
    const end = performance.now() + seconds * 1000
    let answers = 0
    let sumMs = 0
    let tokenCount = 0
    await Promise.all(clients.map(async (c) => {
      while (performance.now() < end) {
        const t0 = performance.now()
        const { completionTokens } = await askOnce(c)
        if (performance.now() > end) return
        answers++
        sumMs += performance.now() - t0
        tokenCount += completionTokens
      }
    }))
    return { rate: answers / seconds, meanMs: sumMs / answers, tokensPerAnswer: tokenCount / answers }
  } finally {
    for (const c of clients) c.close()
  }
}

async function askOnce (client: ReturnType<typeof agentClient>): Promise<{ completionTokens: number }> {
  const { events, error } = await collectAnswer(client.ask(QUESTION))
  if (error !== undefined) throw new Error(`an 8-token answer failed: ${error.details}`)
  const done = events.find((e) => e.done != null)?.done
  if (done == null) throw new Error('an 8-token answer ended without done')
  if (done.completionTokens > SHORT_TOKENS) throw new Error(`an answer of ${done.completionTokens} tokens: max_tokens ${SHORT_TOKENS} did not hold`)
  return { completionTokens: done.completionTokens }
}

/** llama.cpp in this process: one context batching `sequences` sequences, each generating
 * SHORT_TOKENS greedy tokens again and again from a prompt like the agent's, for `seconds`. */
export async function directShortGenerations (modelPath: string, sequences: number, seconds: number): Promise<{ rate: number, meanMs: number }> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
  const model = await llama.loadModel({ modelPath })
  try {
    const context = await model.createContext({ contextSize: 512, sequences, threads: 2 })
    const prompt = model.tokenize(`${DEFAULT_PERSONA}\n\nUser: ${QUESTION}\nAssistant:`)
    // the prompt but its last token evaluated once per sequence and kept, as an agent's KV cache
    // keeps its conversation: each answer evaluates one prompt token and generates 8
    const kept = prompt.slice(0, -1)
    const all = Array.from({ length: sequences }, () => context.getSequence())
    for (const sequence of all) await sequence.evaluateWithoutGeneratingNewTokens(kept)
    const one = async (sequence: ReturnType<typeof context.getSequence>): Promise<void> => {
      await sequence.eraseContextTokenRanges([{ start: kept.length, end: sequence.nextTokenIndex }])
      let n = 0
      for await (const _ of sequence.evaluate(prompt.slice(-1), { temperature: 0, yieldEogToken: true })) if (++n >= SHORT_TOKENS) break
    }
    await Promise.all(all.map(one))
    const end = performance.now() + seconds * 1000
    let answers = 0
    let sumMs = 0
    await Promise.all(all.map(async (s) => {
      while (performance.now() < end) {
        const t0 = performance.now()
        await one(s)
        if (performance.now() > end) return
        answers++
        sumMs += performance.now() - t0
      }
    }))
    await context.dispose()
    return { rate: answers / seconds, meanMs: sumMs / answers }
  } finally {
    await model.dispose()
  }
}
