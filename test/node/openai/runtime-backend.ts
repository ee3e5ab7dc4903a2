import { join } from 'node:path'
import { PermissionDeniedError } from '../../../actors/index.ts'
import { UnknownModelError, writeTinyModel } from '../../../runtimes/index.ts'
import type { ChatTurn, GenerateResult, Runtime, SamplingParams } from '../../../runtimes/index.ts'
import { LlamaRuntime } from '../../../runtimes/llama/llama-runtime.ts'
import { RateLimitedError } from '../../../protocols/index.ts'
import type { CompletionRequest, OpenAiBackend } from '../../../node/openai/index.ts'

export const ALICE_TOKEN = 'plxu_alice-token-for-tests-0123456789'
/** Bob may list the models but use none of them. */
export const BOB_TOKEN = 'plxu_bob-token-for-tests-0123456789'
export const MODEL = 'tiny'
export const CREATED = 1_700_000_000

/** One call of `complete`, as the backend saw it end. */
export interface Completion {
  readonly user: string
  readonly model: string
  readonly messages: ChatTurn[]
  readonly params: SamplingParams
  readonly tools?: CompletionRequest['tools']
  readonly toolChoice?: CompletionRequest['toolChoice']
  readonly signal: AbortSignal
  /** Resolves with the result, or with the error the call failed with. */
  readonly outcome: Promise<GenerateResult | Error>
}

/**
 * The tests' OpenAiBackend: real inference behind fixed tokens (llama.cpp on the generated tiny
 * model, CPU, one thread, from `withTinyModel`; or any Runtime, such as an OpenAiRuntime in front
 * of another server), with a per-user request limit so that 429 is reachable.
 * `failWith` makes the next call fail with that error, for the server's handling of the
 * unexpected; `completions` records every call and how it ended.
 */
export class RuntimeBackend implements OpenAiBackend {
  readonly runtime: Runtime
  readonly completions: Completion[] = []
  /** Requests left before RateLimitedError (every user together). */
  requestsLeft = Infinity
  failWith: Error | undefined
  /** Tokens no longer accepted (a user removed after a client started using their token). */
  readonly revoked = new Set<string>()
  /** What `models` lists. Only the runtime's model is served: another id listed here fails with
   * UnknownModelError when used (a model retired after clients saw it). */
  readonly listed: string[]

  constructor (runtime: Runtime) {
    this.runtime = runtime
    this.listed = [runtime.info().model]
  }

  /** Writes the tiny model into `dir` and loads it (2 slots, 512-token context unless told). */
  static async withTinyModel (dir: string, contextSize = 512): Promise<RuntimeBackend> {
    const file = join(dir, 'tiny.gguf')
    await writeTinyModel(file, { size: 'tiny', quant: 'f16' })
    const runtime = new LlamaRuntime({ name: MODEL, file, gpu: 'off', threads: 1, workers: 1, contextsPerWorker: 2, contextSize })
    await runtime.load()
    return new RuntimeBackend(runtime)
  }

  async authenticate (token: string): Promise<string | undefined> {
    if (this.revoked.has(token)) return undefined
    return token === ALICE_TOKEN ? 'alice' : token === BOB_TOKEN ? 'bob' : undefined
  }

  async models (_user: string): Promise<Array<{ id: string, created: number }>> {
    return this.listed.map((id) => ({ id, created: CREATED }))
  }

  complete (user: string, request: CompletionRequest, onToken: (text: string) => void, signal: AbortSignal): Promise<GenerateResult> {
    const run = async (): Promise<GenerateResult> => {
      const failure = this.failWith
      this.failWith = undefined
      if (failure !== undefined) throw failure
      if (request.model !== this.runtime.info().model || !this.listed.includes(request.model)) throw new UnknownModelError(`no model named ${request.model}`)
      if (user === 'bob') throw new PermissionDeniedError(`bob may not use ${request.model}`)
      if (this.requestsLeft <= 0) throw new RateLimitedError('request limit: retry in 2 s', 1500)
      this.requestsLeft--
      const { tools, toolChoice } = request
      return await this.runtime.generate({ input: { messages: request.messages }, params: request.params, ...(tools !== undefined && { tools }), ...(toolChoice !== undefined && { toolChoice }) }, onToken, signal)
    }
    const result = run()
    this.completions.push({ ...request, user, signal, outcome: result.catch((err: Error) => err) })
    return result
  }

  /** How the latest call ended, waiting at most `timeout` ms for it. */
  async lastOutcome (timeout = 10_000): Promise<GenerateResult | Error> {
    const last = this.completions.at(-1)
    if (last === undefined) throw new Error('the backend was never called')
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`the backend's last completion did not end within ${timeout} ms`)) }, timeout)
    })
    try {
      return await Promise.race([last.outcome, late])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Back to the state it started in: nothing recorded, no limit, no failure, its model listed. */
  reset (): void {
    this.completions.length = 0
    this.requestsLeft = Infinity
    this.failWith = undefined
    this.listed.splice(0, this.listed.length, this.runtime.info().model)
    this.revoked.clear()
  }

  async stop (): Promise<void> {
    await this.runtime.unload()
  }
}

/** The result of a completion the backend recorded, or its error thrown. */
export function result (outcome: GenerateResult | Error): GenerateResult {
  if (outcome instanceof Error) throw outcome
  return outcome
}
