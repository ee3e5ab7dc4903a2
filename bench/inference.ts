/**
 * Inference through the whole stack against node-llama-cpp in this process, on the same model
 * with the same settings, measured in the same run. The stack is a real `plexi node start`
 * process: gRPC Ask → the user's agent (journals the question) → inference service → model
 * manager → Piscina worker → llama.cpp, and each token back the same way. The baseline is what an
 * application would do without Plexi: `getLlama()` in its own process, one context (threads 1) per
 * request, `sequence.evaluate` on the same prompt tokens, greedy, the same number of tokens.
 *
 * Both sides format the prompt as the agent does (its persona and the question through the model's
 * chat wrapper), use contexts of CONTEXT_SIZE tokens with 1 thread, and generate exactly
 * MAX_TOKENS greedy tokens (the generated models never stop early at temperature 0); the bench
 * fails if the node's prompt length or answer length differ. Only one side works at a time: the
 * node and this process share the machine's cores.
 *
 * - tokens/s: (tokens − 1) / (last token − first token), as the client sees them arrive; "overall"
 *   is tokens / (request → end of the answer).
 * - TTFT: from sending Ask (baseline: from starting to format the prompt) to the first token.
 * - aggregate tokens/s for 1, 2 and 4 users asking at once (distinct users, a context each):
 *   all tokens / (first request → last answer's end).
 */
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { LlamaLogLevel, getLlama, resolveChatWrapper } from 'node-llama-cpp'
import type { ChatWrapper, Llama, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import { DEFAULT_PERSONA } from '../actors/index.ts'
import { MODEL_SIZES, tinyModelFileName, writeTinyModel } from '../runtimes/index.ts'
import type { ModelQuant, ModelSize } from '../runtimes/index.ts'
import { agentClient, startNodeProcess } from '../test/helpers/node-process.ts'
import type { AskEvent, NodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { collector, figure, median, percentile } from './figure.ts'
import type { Bench, Figure } from './figure.ts'

/** BENCH_INFERENCE_QUANTS=f16 (comma-separated) measures fewer. */
const QUANTS: readonly ModelQuant[] = ((): ModelQuant[] => {
  const all: ModelQuant[] = ['f16', 'tq2_0']
  const given = process.env.BENCH_INFERENCE_QUANTS?.split(',') ?? all
  const unknown = given.filter((q) => !all.includes(q as ModelQuant))
  if (given.length === 0 || unknown.length > 0) throw new Error(`BENCH_INFERENCE_QUANTS: expected some of ${all.join(', ')}, got ${JSON.stringify(process.env.BENCH_INFERENCE_QUANTS)}`)
  return given as ModelQuant[]
})()
/** BENCH_INFERENCE_ROUNDS=n: n single-user samples and n concurrent rounds instead of 15 each (a
 * short run, e.g. to compare --batching on and off; its medians move more). */
const ROUNDS = ((): number | undefined => {
  const given = process.env.BENCH_INFERENCE_ROUNDS
  if (given === undefined) return undefined
  const n = Number(given)
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) throw new Error(`BENCH_INFERENCE_ROUNDS: expected an integer from 1 to 1000, got ${JSON.stringify(given)}`)
  return n
})()
/** BENCH_INFERENCE_CONVERSATIONS=0 leaves out the conversation and after-migration parts. */
const CONVERSATIONS = process.env.BENCH_INFERENCE_CONVERSATIONS !== '0'
/** Tokens per answer: long enough that the decode rate is not one token's noise. */
const MAX_TOKENS = 128
/** Tokens per llama.cpp context, on both sides (the node's default). */
const CONTEXT_SIZE = 2048
/** Single-user samples per side, interleaved (direct, stack, stack, direct, ...). 15: with 9, one
 * answer slowed by something else on the two shared cores moved the median by 2-4%. */
const SAMPLES = ROUNDS ?? 15
const USERS = [1, 2, 4] as const
/** Rounds of the concurrency measurement; each round runs every user count on both sides. 15: a
 * round of 2 users is about half a second, and on two shared cores one slow round in five moved
 * the median of 5 or 9 by several per cent. */
const CONCURRENT_ROUNDS = ROUNDS ?? 15
const QUESTION = 'Hello! In two or three sentences, what does an actor runtime do?'
/** Every wait is bounded: one answer of MAX_TOKENS takes a few seconds even on a busy machine. */
const ANSWER_TIMEOUT_MS = 60_000

/** One answer, timed as its reader saw it (ms on this process's performance clock). */
interface Sample {
  readonly start: number
  readonly firstToken: number
  readonly lastToken: number
  /** The stack: when `done` arrived; the baseline: the last token. */
  readonly end: number
  readonly tokens: number
  readonly text: string
  readonly promptTokens: number
  /** The stack only: the worker's own TTFT (from taking the task to the first token). */
  readonly serverTtftMs?: number
  /** The stack only: the worker's own time from taking the task to the end of the answer. */
  readonly serverDurationMs?: number
}

const ttft = (s: Sample): number => s.firstToken - s.start
const decodeRate = (s: Sample): number => (s.tokens - 1) / ((s.lastToken - s.firstToken) / 1000)
const overallRate = (s: Sample): number => s.tokens / ((s.end - s.start) / 1000)
/** All tokens of answers that ran at once, over the time from the first request to the last end. */
const aggregateRate = (samples: readonly Sample[]): number =>
  samples.reduce((n, s) => n + s.tokens, 0) / ((Math.max(...samples.map((s) => s.end)) - Math.min(...samples.map((s) => s.start))) / 1000)

function withTimeout<T> (promise: Promise<T>, what: string, timeout = ANSWER_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`bench: timed out waiting for ${what}`)) }, timeout)
  })
  return Promise.race([promise, expired]).finally(() => { clearTimeout(timer) })
}

type ThreadTimes = Map<string, { run: number, wait: number }>

/** Per thread name of a process, the ms it has run and the ms it has waited for a core while
 * runnable, from Linux's /proc/<pid>/task/<tid>/schedstat (empty elsewhere). They say where the
 * stack's CPU goes per token (the node's main thread: gRPC and actors; its Piscina worker: the
 * token loop; libuv's threads: llama.cpp; this process: the client) and whether llama.cpp waited
 * for a core more in the stack than alone. */
async function threadTimes (pid: number): Promise<ThreadTimes> {
  const times: ThreadTimes = new Map()
  let tids: string[]
  try {
    tids = await readdir(`/proc/${pid}/task`)
  } catch {
    return times
  }
  for (const tid of tids) {
    let name: string
    let schedstat: string
    try {
      name = (await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8')).trim()
      schedstat = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
    } catch {
      continue   // the thread ended meanwhile
    }
    // "<ns on a cpu> <ns runnable, waiting on a run queue> <timeslices>"
    const [run = 0, wait = 0] = schedstat.split(' ').map(Number)
    const sum = times.get(name) ?? { run: 0, wait: 0 }
    times.set(name, { run: sum.run + run / 1e6, wait: sum.wait + wait / 1e6 })
  }
  return times
}

/** Adds what `work` costs per thread name of each process to `into` (keys "process/thread"). */
async function countTimes<T> (pids: Record<string, number>, into: ThreadTimes, work: () => Promise<T>): Promise<T> {
  const before = await Promise.all(Object.values(pids).map(threadTimes))
  const result = await work()
  const after = await Promise.all(Object.values(pids).map(threadTimes))
  Object.keys(pids).forEach((label, i) => {
    for (const [name, t] of after[i] ?? []) {
      const was = before[i]?.get(name) ?? { run: 0, wait: 0 }
      const sum = into.get(`${label}/${name}`) ?? { run: 0, wait: 0 }
      into.set(`${label}/${name}`, { run: sum.run + t.run - was.run, wait: sum.wait + t.wait - was.wait })
    }
  })
  return result
}

/** "thread run/wait" in ms per token, busiest first; threads under 0.01 ms per token left out. */
function perToken (times: ThreadTimes, tokens: number): string {
  return [...times].filter(([, t]) => t.run / tokens >= 0.01).sort((a, b) => b[1].run - a[1].run)
    .map(([name, t]) => `${name} ${(t.run / tokens).toFixed(2)}/${(t.wait / tokens).toFixed(2)}`).join(', ')
}

// ---- the stack ----------------------------------------------------------------------------------

type AgentClient = ReturnType<typeof agentClient>

/** Asks once and reads the whole answer; fails unless it is exactly MAX_TOKENS tokens. */
function askStack (client: AgentClient, question = QUESTION): Promise<Sample & { readonly cachedTokens: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const stream = client.ask(question)
    let firstToken: number | undefined
    let lastToken = 0
    let text = ''
    let done: AskEvent['done']
    let end = 0
    const timer = setTimeout(() => {
      stream.cancel()
      reject(new Error(`bench: the answer did not end within ${ANSWER_TIMEOUT_MS} ms`))
    }, ANSWER_TIMEOUT_MS)
    stream.on('data', (event: AskEvent) => {
      const now = performance.now()
      if (event.token != null) {
        firstToken ??= now
        lastToken = now
        text += event.token.text
      } else if (event.done != null) {
        done = event.done
        end = now
      }
    })
    stream.on('error', (err: Error) => { clearTimeout(timer); reject(new Error(`bench: Ask failed: ${err.message}`)) })
    stream.on('end', () => {
      clearTimeout(timer)
      if (done == null || firstToken === undefined) return reject(new Error('bench: the answer ended without tokens or without done'))
      if (done.completionTokens !== MAX_TOKENS || done.stopReason !== 'max-tokens') {
        return reject(new Error(`bench: expected ${MAX_TOKENS} tokens ending at max-tokens, the node generated ${done.completionTokens} (${done.stopReason})`))
      }
      resolve({
        start, firstToken, lastToken, end, tokens: done.completionTokens, text, promptTokens: done.promptTokens,
        serverTtftMs: done.ttftMs, serverDurationMs: done.durationMs, cachedTokens: done.cachedTokens ?? 0
      })
    })
  })
}

/**
 * A persona no other sample had, the same length every time, differing from the last one in its
 * first character: each sample's prompt then shares nothing with what a context holds (the KV
 * cache could otherwise skip evaluating a prompt the node has just seen, which the baseline has
 * to evaluate whole: not the same work).
 */
function persona (): string {
  const n = sessions++
  const letter = (i: number): string => String.fromCharCode(65 + (Math.floor(n / 26 ** i) % 26))
  return `${letter(0)}${letter(1)}${letter(2)} ${DEFAULT_PERSONA}`
}
let sessions = 0

/** Distinct users asking at once, each on a fresh conversation with a persona of its own. */
async function stackRound (clients: readonly AgentClient[], personas: readonly string[]): Promise<Sample[]> {
  for (const [i, client] of clients.entries()) {
    await client.call('Configure', { persona: personas[i] })
    await client.call('Reset', {})
  }
  return await Promise.all(clients.map((client) => askStack(client)))
}

async function addUsers (node: NodeProcess, names: readonly string[]): Promise<string[]> {
  const tokens: string[] = []
  for (const name of names) {
    const res = await fetch(`http://${node.admin}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
      signal: AbortSignal.timeout(10_000)
    })
    if (!res.ok) throw new Error(`bench: adding user ${name} failed: ${res.status} ${await res.text()}`)
    tokens.push(((await res.json()) as { token: string }).token)
  }
  return tokens
}

// ---- conversations: the KV cache against evaluating every prompt whole -----------------------------

/** Turns of the conversation whose last turn's TTFT is measured: about 1.5k tokens of history. */
const TURNS = 10
/** Turns per user when 4 users converse at once. */
const AGGREGATE_TURNS = 5
const CONVERSATION_ROUNDS = 3
/** Short, and the same length for every turn below 10: ten turns of it and of MAX_TOKENS answers
 * make about 1.6k tokens, which the 2048-token context holds whole (a turn dropped to make room
 * would change the prompt's start, and no cache could be reused). */
const turnQuestion = (t: number): string => `Turn ${t}. Go on.`

interface ChatMessage { readonly role: 'system' | 'user' | 'assistant', readonly content: string }

/** One streamed answer from the OpenAI-compatible endpoint, which keeps no conversation: every
 * request evaluates its whole prompt, as the node did for agents before their KV cache. */
async function askOpenAi (base: string, token: string, model: string, messages: readonly ChatMessage[]): Promise<Sample> {
  const start = performance.now()
  const res = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages, stream: true, stream_options: { include_usage: true }, max_tokens: MAX_TOKENS, temperature: 0 }),
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS)
  })
  if (!res.ok || res.body === null) throw new Error(`bench: /v1/chat/completions answered ${res.status}: ${await res.text()}`)
  let firstToken: number | undefined
  let lastToken = 0
  let text = ''
  let usage: { prompt_tokens: number, completion_tokens: number } | undefined
  let buffered = ''
  const decoder = new TextDecoder()
  for await (const chunk of res.body) {
    const now = performance.now()
    buffered += decoder.decode(chunk as Uint8Array, { stream: true })
    const events = buffered.split('\n\n')
    buffered = events.pop() ?? ''
    for (const event of events) {
      const data = event.replace(/^data: /, '')
      if (data === '[DONE]') continue
      const parsed = JSON.parse(data) as { choices: Array<{ delta: { content?: string } }>, usage?: typeof usage }
      const content = parsed.choices[0]?.delta.content ?? ''
      if (content.length > 0) {
        firstToken ??= now
        lastToken = now
        text += content
      }
      if (parsed.usage != null) usage = parsed.usage
    }
  }
  const end = performance.now()
  if (firstToken === undefined || usage === undefined || usage.completion_tokens !== MAX_TOKENS) {
    throw new Error(`bench: the OpenAI answer had ${usage?.completion_tokens ?? 'no'} tokens, expected ${MAX_TOKENS}`)
  }
  return { start, firstToken, lastToken, end, tokens: usage.completion_tokens, text, promptTokens: usage.prompt_tokens }
}

/** A conversation of `turns` turns with a user's agent, on a fresh history with its own persona. */
async function stackConversation (client: AgentClient, personaText: string, turns: number): Promise<{ samples: Array<Sample & { cachedTokens: number }>, history: ChatMessage[] }> {
  await client.call('Configure', { persona: personaText })
  await client.call('Reset', {})
  const history: ChatMessage[] = [{ role: 'system', content: personaText }]
  const samples: Array<Sample & { cachedTokens: number }> = []
  for (let t = 0; t < turns; t++) {
    const sample = await withTimeout(askStack(client, turnQuestion(t)), `turn ${t} of a conversation`)
    samples.push(sample)
    history.push({ role: 'user', content: turnQuestion(t) }, { role: 'assistant', content: sample.text })
  }
  return { samples, history }
}

/** The same conversation through the OpenAI endpoint: the client sends the whole history each turn. */
async function openAiConversation (base: string, token: string, model: string, personaText: string, turns: number): Promise<Sample[]> {
  const history: ChatMessage[] = [{ role: 'system', content: personaText }]
  const samples: Sample[] = []
  for (let t = 0; t < turns; t++) {
    history.push({ role: 'user', content: turnQuestion(t) })
    const sample = await askOpenAi(base, token, model, history)
    samples.push(sample)
    history.push({ role: 'assistant', content: sample.text })
  }
  return samples
}

/**
 * An agent's first answer after it moved to another node, with its KV cache sent ahead, against
 * the same prompt evaluated whole on that node (/v1): three real nodes (two with the ai role),
 * the agent converses TURNS - 1 turns on A, an admin migrates it to B, and its next turn is timed.
 */
async function afterMigration (modelsDir: string, models: ReadonlyMap<ModelQuant, string>, log: (line: string) => void): Promise<Figure[]> {
  const { figures, add } = collector(log)
  const flags = ['--gpu', benchGpu(), '--inference-batching', benchBatching(), '--inference-threads', '1', '--context-size', String(CONTEXT_SIZE), '--models-dir', modelsDir,
    '--agent-max-tokens', String(MAX_TOKENS), '--agent-tokens-per-min', '1000000000', '--agent-requests-per-min', '1000000']
  const cluster = new ProcessCluster()
  const clients: AgentClient[] = []
  try {
    const ai = { roles: 'ai,chat,storage', args: [...flags, '--openai-listen', '127.0.0.1:0'] }
    await cluster.start([ai, ai, { roles: 'chat,storage', args: flags }])
    const [a, b] = cluster.slots as [NodeSlot, NodeSlot]
    const openai = b.node.logs.find((entry) => typeof entry.openai === 'string')?.openai as string
    for (const [quant, name] of models) {
      // B answers itself: a member without the model loaded would have A answer for it
      await cluster.api(b, `/models/${name}/load`, { method: 'POST' })
      const moved: Array<Sample & { cachedTokens: number }> = []
      const whole: Sample[] = []
      for (let round = 0; round < CONVERSATION_ROUNDS; round++) {
        const user = await cluster.keyOwnedBy(b, 'agent', 'ai', a, `mover-${quant.replace('_', '')}-${round}-`)
        const token = await cluster.addUser(user, b)
        const client = agentClient(b.node.grpc, token)
        clients.push(client)
        await client.call('Configure', { model: name, temperature: 0, maxTokens: MAX_TOKENS })
        const { history } = await stackConversation(client, persona(), TURNS - 1)
        const job = await cluster.api<{ id: string }>(a, `/actors/agent/${user}/migrate`, { method: 'POST', body: { to: b.peerId } })
        for (let i = 0; i < 300; i++) {
          const state = (await cluster.api<{ state: string }>(a, `/jobs/${job.id}`)).state
          if (state === 'done') break
          if (state !== 'running' || i === 299) throw new Error(`bench: the migration ended ${state}`)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        const next = await withTimeout(askStack(client, turnQuestion(TURNS - 1)), 'the first turn after the move')
        history.push({ role: 'user', content: turnQuestion(TURNS - 1) })
        const again = await askOpenAi(openai, token, name, history)
        if (again.promptTokens !== next.promptTokens) throw new Error(`bench: after the move the prompt is ${next.promptTokens} tokens, ${again.promptTokens} through /v1`)
        moved.push(next)
        whole.push(again)
      }
      add(figure(`inference-${benchSize()}-${quant}-ttft-ms-after-migration-cache-moved-vs-none`, 'ms', median(moved.map(ttft)),
        `the same ${median(whole.map((x) => x.promptTokens))}-token prompt evaluated whole on the new node (/v1)`, median(whole.map(ttft)), 'lower is better'))
      log(`  ${quant}: first turn after the move: ${median(moved.map((x) => x.cachedTokens))} of ${median(moved.map((x) => x.promptTokens))} prompt tokens from the cache sent ahead`)
    }
  } finally {
    for (const client of clients) client.close()
    await cluster.close()
  }
  return figures
}

// ---- the baseline -------------------------------------------------------------------------------

/** node-llama-cpp used directly: the model, a context per concurrent request. */
class DirectModel {
  readonly #model: LlamaModel
  readonly #chatWrapper: ChatWrapper
  readonly sequences: readonly LlamaContextSequence[]

  private constructor (model: LlamaModel, sequences: readonly LlamaContextSequence[]) {
    this.#model = model
    this.#chatWrapper = resolveChatWrapper(model)
    this.sequences = sequences
  }

  static async load (llama: Llama, file: string, contexts: number): Promise<DirectModel> {
    const model = await llama.loadModel({ modelPath: file })
    const sequences: LlamaContextSequence[] = []
    for (let i = 0; i < contexts; i++) {
      // threads explicit, as in the node: the default (4 or more) is many times slower here
      const context = await model.createContext({ contextSize: CONTEXT_SIZE, threads: 1, sequences: 1 })
      sequences.push(context.getSequence())
    }
    return new DirectModel(model, sequences)
  }

  /** The agent's prompt as the node's llama worker writes it: persona and question through the
   * model's chat wrapper, then BOS when the model wants it and the template did not write it. */
  #prompt (persona: string): Token[] {
    const tokens = this.#chatWrapper.generateContextState({
      chatHistory: [{ type: 'system', text: persona }, { type: 'user', text: QUESTION }, { type: 'model', response: [] }]
    }).contextText.tokenize(this.#model.tokenizer)
    const bos = this.#model.tokens.bos
    return bos === null || !this.#model.tokens.shouldPrependBosToken || tokens[0] === bos ? tokens : [bos, ...tokens]
  }

  async answer (sequence: LlamaContextSequence, persona: string): Promise<Sample> {
    const start = performance.now()
    const prompt = this.#prompt(persona)
    await sequence.clearHistory()
    let firstToken: number | undefined
    let lastToken = 0
    let tokens = 0
    let text = ''
    for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
      if (this.#model.isEogToken(token)) throw new Error(`bench: the direct run met an end-of-generation token after ${tokens} tokens`)
      tokens++
      firstToken ??= performance.now()
      lastToken = performance.now()
      text += this.#model.detokenize([token])
      if (tokens >= MAX_TOKENS) break
    }
    if (firstToken === undefined || tokens !== MAX_TOKENS) throw new Error(`bench: the direct run generated ${tokens} tokens, expected ${MAX_TOKENS}`)
    return { start, firstToken, lastToken, end: lastToken, tokens, text, promptTokens: prompt.length }
  }

  async round (personas: readonly string[]): Promise<Sample[]> {
    return await withTimeout(Promise.all(this.sequences.slice(0, personas.length).map((s, i) => this.answer(s, personas[i] as string))), `${personas.length} direct answers`)
  }

  async dispose (): Promise<void> {
    await this.#model.dispose()
  }
}

// ---- the bench ----------------------------------------------------------------------------------

/** "min q1 median q3 max" of ratios. */
function spread (ratios: readonly number[]): string {
  return [0, 25, 50, 75, 100].map((p) => (p === 50 ? median(ratios) : percentile(ratios, p)).toFixed(2)).join(' ')
}

/** The generated model's size: `npm run bench -- inference --size 500m` (bench/run.ts sets
 * BENCH_MODEL_SIZE). */
function benchSize (): ModelSize {
  const size = process.env.BENCH_MODEL_SIZE ?? '25m'
  if (!Object.hasOwn(MODEL_SIZES, size)) throw new Error(`BENCH_MODEL_SIZE: expected one of ${Object.keys(MODEL_SIZES).join(', ')}, got ${JSON.stringify(size)}`)
  return size as ModelSize
}

/** Both sides' gpu setting: `npm run bench -- inference --gpu cuda` (bench/run.ts sets BENCH_GPU). */
function benchGpu (): 'auto' | 'cuda' | 'off' {
  const gpu = process.env.BENCH_GPU ?? 'auto'
  if (gpu !== 'auto' && gpu !== 'cuda' && gpu !== 'off') throw new Error(`BENCH_GPU: expected auto, cuda or off, got ${JSON.stringify(gpu)}`)
  return gpu
}

/** The node's inference-batching: `npm run bench -- inference --batching on` (bench/run.ts sets
 * BENCH_BATCHING); what the node resolved it to is printed with every figure. The direct baseline
 * always has a context per request. */
function benchBatching (): 'auto' | 'on' | 'off' {
  const batching = process.env.BENCH_BATCHING ?? 'auto'
  if (batching !== 'auto' && batching !== 'on' && batching !== 'off') throw new Error(`BENCH_BATCHING: expected auto, on or off, got ${JSON.stringify(batching)}`)
  return batching
}

/** What the node says its loaded model `name` runs in: `on` or `off` (`?` if it does not say). */
async function batchingOf (node: NodeProcess, name: string): Promise<string> {
  const models = await fetch(`http://${node.admin}/api/v1/models`, { headers: { authorization: `Bearer ${node.adminToken}` } })
    .then(async (r) => (await r.json() as Array<{ name: string, batching?: string }>))
  return models.find((m) => m.name === name)?.batching ?? '?'
}

function ms (n: number): string {
  return `${n.toFixed(1)} ms`
}

/** Conversations: turn TURNS's TTFT with the KV cache against the same prompt evaluated whole
 * (/v1), and 4 users conversing at once, agents (cache) against /v1 (none). */
async function conversationFigures (c: { one: AgentClient, mine: readonly AgentClient[], tokens: readonly string[], openai: string, name: string, label: string, quant: ModelQuant },
  add: (f: Figure) => void, log: (line: string) => void): Promise<void> {
  const { one, mine, tokens, openai, name, label, quant } = c
  // conversations: turn 10's TTFT with the KV cache against the same prompt evaluated whole
  const cached: Array<Sample & { cachedTokens: number }> = []
  const whole: Sample[] = []
  for (let round = 0; round < CONVERSATION_ROUNDS; round++) {
    const { samples, history } = await stackConversation(one, persona(), TURNS)
    const last = samples.at(-1) as Sample & { cachedTokens: number, droppedTurns?: number }
    const again = await askOpenAi(openai, tokens[0] as string, name, history.slice(0, -1))
    if (again.promptTokens !== last.promptTokens) throw new Error(`bench: turn ${TURNS}'s prompt is ${last.promptTokens} tokens through the agent, ${again.promptTokens} through /v1: not the same prompt`)
    cached.push(last)
    whole.push(again)
  }
  const turnTtft = median(cached.map(ttft))
  const wholeTtft = median(whole.map(ttft))
  add(figure(`${label}-ttft-ms-turn-${TURNS}-cache-vs-none`, 'ms', turnTtft, `the same ${median(whole.map((x) => x.promptTokens))}-token prompt evaluated whole (/v1, no cache)`, wholeTtft, '<= 0.2 (5x faster; lower is better)'))
  log(`  ${quant}: turn ${TURNS}: prompt ${median(cached.map((x) => x.promptTokens))} tokens, ${median(cached.map((x) => x.cachedTokens))} of them from the cache`)

  // 4 users conversing at once, each ${AGGREGATE_TURNS} turns: agents (cache) against /v1 (none)
  const withCache: number[] = []
  const without: number[] = []
  for (let round = 0; round < 2; round++) {
    const runCache = async (): Promise<void> => {
      const started = performance.now()
      const all = await Promise.all(mine.map(async (client) => (await stackConversation(client, persona(), AGGREGATE_TURNS)).samples))
      withCache.push(all.flat().reduce((n, x) => n + x.tokens, 0) / ((performance.now() - started) / 1000))
    }
    const runWhole = async (): Promise<void> => {
      const started = performance.now()
      const all = await Promise.all(tokens.map((token) => openAiConversation(openai, token, name, persona(), AGGREGATE_TURNS)))
      without.push(all.flat().reduce((n, x) => n + x.tokens, 0) / ((performance.now() - started) / 1000))
    }
    if (round % 2 === 0) { await runWhole(); await runCache() } else { await runCache(); await runWhole() }
  }
  add(figure(`${label}-aggregate-4-users-conversations-cache-vs-none`, 'tok/s', median(withCache), `4 users, ${AGGREGATE_TURNS} turns each, every prompt evaluated whole (/v1)`, median(without), '>= 1.0'))
}

export const inferenceBench: Bench = {
  name: 'inference',
  description: 'generated model (--size, default 25m; 100m or 500m to show a GPU), f16 and tq2_0: tokens/s and TTFT through gRPC → agent → pool → llama.cpp vs node-llama-cpp in-process; 1, 2, 4 users; both sides on --gpu auto|cuda|off (default auto), the node on --batching auto|on|off (default auto), the backends and the batching the node resolved printed with every figure; short runs: BENCH_INFERENCE_ROUNDS=n, BENCH_INFERENCE_QUANTS=f16, BENCH_INFERENCE_CONVERSATIONS=0',
  async run (log) {
    // read here, not at import: bench/run.ts imports this module before it sets them from its flags
    const [BENCH_SIZE, BENCH_GPU, BENCH_BATCHING] = [benchSize(), benchGpu(), benchBatching()]
    const { figures, add } = collector(log)
    let backends = `gpu ${BENCH_GPU}`
    // the node and this process need the cores to themselves: outside load shows in every figure
    const load = (): string => loadavg().map((n) => n.toFixed(2)).join(' ')
    log(`  load average at the start: ${load()}`)
    const dir = await tempDir('plexi-bench-')
    const clients: AgentClient[] = []
    let node: NodeProcess | undefined
    let llama: Llama | undefined
    try {
      const modelsDir = join(dir.path, 'models')
      await mkdir(modelsDir, { recursive: true })
      const names = new Map<ModelQuant, string>()
      for (const quant of QUANTS) {
        const file = tinyModelFileName(BENCH_SIZE, quant)
        await writeTinyModel(join(modelsDir, file), { size: BENCH_SIZE, quant })
        names.set(quant, file.slice(0, -'.gguf'.length))
      }
      const maxUsers = Math.max(...USERS)
      node = await startNodeProcess(dir.path, [
        '--gpu', BENCH_GPU, '--inference-batching', BENCH_BATCHING, '--inference-threads', '1', '--inference-contexts', String(maxUsers), '--context-size', String(CONTEXT_SIZE),
        '--default-model', names.get('f16') as string, '--agent-max-tokens', String(MAX_TOKENS),
        '--agent-tokens-per-min', '1000000000', '--agent-requests-per-min', '1000000', '--openai-listen', '127.0.0.1:0'
      ])
      const openai = node.logs.find((entry) => typeof entry.openai === 'string')?.openai as string
      const nodePid = node.pid
      llama = await getLlama({ gpu: BENCH_GPU === 'off' ? false : BENCH_GPU, build: 'never', logLevel: LlamaLogLevel.error })
      // both sides' backends, printed with every figure (the same gpu setting; auto may differ only
      // where one side's binary fails)
      const stackBackend = await fetch(`http://${node.admin}/api/v1/inference`, { headers: { authorization: `Bearer ${node.adminToken}` } })
        .then(async (r) => (await r.json() as { backend: string, devices: string[] }))
      const direct = llama.gpu === false ? 'cpu' : `${llama.gpu} (${(await llama.getGpuDeviceNames()).join(', ')})`
      backends = `gpu ${BENCH_GPU}: stack ${stackBackend.backend}${stackBackend.devices.length > 0 ? ` (${stackBackend.devices.join(', ')})` : ''}, direct ${direct}`
      log(`  backends: ${backends}`)
      const stackBackends = backends
      for (const quant of QUANTS) {
        const name = names.get(quant) as string
        const label = `inference-${BENCH_SIZE}-${quant}`
        const users = Array.from({ length: maxUsers }, (_, i) => `${quant.replace('_', '')}-user${i}`)
        const tokens = await addUsers(node, users)
        for (const token of tokens) {
          const client = agentClient(node.grpc, token)
          clients.push(client)
          await client.call('Configure', { model: name, temperature: 0, maxTokens: MAX_TOKENS })
        }
        const mine = clients.slice(-maxUsers)
        const direct = await DirectModel.load(llama, join(modelsDir, `${name}.gguf`), maxUsers)
        try {
          // warm up: the node loads the model on first use; every context and both sides run once
          const personas = (n: number): string[] => Array.from({ length: n }, persona)
          const warm = personas(maxUsers)
          const warmStack = await stackRound(mine, warm)
          const warmDirect = await direct.round(warm)
          const [s, d] = [warmStack[0] as Sample, warmDirect[0] as Sample]
          if (s.promptTokens !== d.promptTokens) throw new Error(`bench: the node's prompt is ${s.promptTokens} tokens, the direct one ${d.promptTokens}: not the same prompt`)
          // loaded now (the warm-up): the node says how its workers hold the requests
          backends = `${stackBackends}, batching ${BENCH_BATCHING}: stack ${await batchingOf(node, name)}, direct a context per request`
          log(`  ${quant}: ${backends}`)
          log(`  ${quant}: prompt ${d.promptTokens} tokens, answers ${MAX_TOKENS} tokens; same greedy text on both sides: ${s.text === d.text ? 'yes' : 'no'}`)

          // one user, interleaved
          const stack: Sample[] = []
          const base: Sample[] = []
          const one = mine[0] as AgentClient
          const stackTimes: ThreadTimes = new Map()
          const directTimes: ThreadTimes = new Map()
          for (let i = 0; i < SAMPLES; i++) {
            const runStack = async (): Promise<void> => {
              const mine = personas(1)
              stack.push(...await countTimes({ node: nodePid, client: process.pid }, stackTimes, () => stackRound([one], mine)))
            }
            const runDirect = async (): Promise<void> => {
              const mine = personas(1)
              base.push(...await countTimes({ direct: process.pid }, directTimes, () => direct.round(mine)))
            }
            if (i % 2 === 0) { await runDirect(); await runStack() } else { await runStack(); await runDirect() }
          }
          add(figure(`${label}-tokens-per-s-stack-vs-direct`, 'tok/s', median(stack.map(decodeRate)), 'node-llama-cpp in-process, after the first token', median(base.map(decodeRate)), '>= 0.95'))
          add(figure(`${label}-tokens-per-s-overall-stack-vs-direct`, 'tok/s', median(stack.map(overallRate)), 'node-llama-cpp in-process, request to end', median(base.map(overallRate)), '>= 0.95'))
          log(`  ${quant}: 1 user, stack/direct of adjacent pairs (min, quartiles, max): decode ${spread(stack.map((x, i) => decodeRate(x) / decodeRate(base[i] as Sample)))}; ` +
            `request to end ${spread(stack.map((x, i) => overallRate(x) / overallRate(base[i] as Sample)))}`)
          const stackTtft = median(stack.map(ttft))
          const directTtft = median(base.map(ttft))
          add(figure(`${label}-ttft-ms-stack-vs-direct`, 'ms', stackTtft, 'node-llama-cpp in-process', directTtft, 'overhead <= 5 ms (lower is better)'))
          const serverTtft = median(stack.map((x) => x.serverTtftMs ?? NaN))
          // the same requests, timed by the client and by the worker: what the stack adds around llama.cpp
          add(figure(`${label}-ttft-ms-stack-vs-worker`, 'ms', stackTtft, "the node's llama worker's own TTFT, same requests", serverTtft, 'overhead <= 5 ms (lower is better)'))
          log(`  ${quant}: TTFT overhead vs direct ${ms(stackTtft - directTtft)} (difference of medians), ` +
            `${ms(median(stack.map((x, i) => ttft(x) - ttft(base[i] as Sample))))} (median of adjacent pairs); ` +
            `outside the worker ${ms(median(stack.map((x) => ttft(x) - (x.serverTtftMs ?? NaN))))} (median per request: gRPC, agent, journal, queue, pool, first token back); ` +
            `last token → done ${ms(median(stack.map((x) => x.end - x.lastToken)))}`)
          // the worker's own view: if it is as fast as direct, the difference is in delivering the tokens
          log(`  ${quant}: the worker's own tokens/s after the first token ${median(stack.map((x) => (x.tokens - 1) / (((x.serverDurationMs ?? NaN) - (x.serverTtftMs ?? NaN)) / 1000))).toFixed(0)}`)
          log(`  ${quant}: ms per token by thread, on a core/waiting for one, stack: ${perToken(stackTimes, SAMPLES * MAX_TOKENS)}; direct: ${perToken(directTimes, SAMPLES * MAX_TOKENS)}`)

          // 1, 2 and 4 users at once, both sides, interleaved
          const stackAgg = new Map<number, number[]>(USERS.map((n) => [n, []]))
          const aggTimes = { stack: new Map<number, ThreadTimes>(USERS.map((n) => [n, new Map()])), direct: new Map<number, ThreadTimes>(USERS.map((n) => [n, new Map()])) }
          const directAgg = new Map<number, number[]>(USERS.map((n) => [n, []]))
          for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
            for (const n of USERS) {
              const runStack = async (): Promise<void> => {
                const samples = await countTimes({ node: nodePid, client: process.pid }, aggTimes.stack.get(n) ?? new Map(), async () => await stackRound(mine.slice(0, n), personas(n)))
                stackAgg.get(n)?.push(aggregateRate(samples))
              }
              const runDirect = async (): Promise<void> => {
                const samples = await countTimes({ direct: process.pid }, aggTimes.direct.get(n) ?? new Map(), async () => await direct.round(personas(n)))
                directAgg.get(n)?.push(aggregateRate(samples))
              }
              if (round % 2 === 0) { await runDirect(); await runStack() } else { await runStack(); await runDirect() }
            }
          }
          const agg = (m: Map<number, number[]>, n: number): number => median(m.get(n) ?? [])
          add(figure(`${label}-aggregate-2-users-vs-1`, 'tok/s', agg(stackAgg, 2), 'the stack, 1 user', agg(stackAgg, 1), '>= 1.6'))
          add(figure(`${label}-aggregate-4-users-vs-1`, 'tok/s', agg(stackAgg, 4), 'the stack, 1 user', agg(stackAgg, 1)))
          add(figure(`${label}-aggregate-2-users-stack-vs-direct`, 'tok/s', agg(stackAgg, 2), 'node-llama-cpp in-process, 2 contexts at once', agg(directAgg, 2), '>= 0.95'))
          add(figure(`${label}-aggregate-4-users-stack-vs-direct`, 'tok/s', agg(stackAgg, 4), 'node-llama-cpp in-process, 4 contexts at once', agg(directAgg, 4), '>= 0.95'))
          for (const n of USERS) {
            const s = stackAgg.get(n) ?? []
            const d = directAgg.get(n) ?? []
            log(`  ${quant}: ${n} user(s) at once, stack/direct of each round's pair (min, quartiles, max): ${spread(s.map((x, i) => x / (d[i] as number)))}`)
          }
          for (const n of USERS.slice(1)) {
            const all = CONCURRENT_ROUNDS * n * MAX_TOKENS
            log(`  ${quant}: ${n} users, ms per token by thread, on a core/waiting for one, stack: ${perToken(aggTimes.stack.get(n) ?? new Map(), all)}; direct: ${perToken(aggTimes.direct.get(n) ?? new Map(), all)}`)
          }
          log(`  ${quant}: direct aggregate 1/2/4: ${USERS.map((n) => agg(directAgg, n).toFixed(0)).join(' / ')} tok/s ` +
            `(2 vs 1: ${(agg(directAgg, 2) / agg(directAgg, 1)).toFixed(2)}×, 4 vs 1: ${(agg(directAgg, 4) / agg(directAgg, 1)).toFixed(2)}×)`)
          if (CONVERSATIONS) await conversationFigures({ one, mine, tokens, openai, name, label, quant }, add, log)
        } finally {
          await direct.dispose()
        }
      }
      for (const client of clients) client.close()
      clients.length = 0
      await node.stop()
      node = undefined
      if (CONVERSATIONS) figures.push(...await afterMigration(modelsDir, names, log))
      log(`  load average at the end: ${load()}`)
      return figures.map((f) => ({ ...f, baseline_name: `${f.baseline_name} [${backends}]` }))
    } finally {
      for (const client of clients) client.close()
      await llama?.dispose()
      await node?.stop()
      await dir.remove()
    }
  }
}
