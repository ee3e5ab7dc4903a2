import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { ActorSystem, NO_ROOM_PLUGINS, chatRoomType, erasureLog, postHooks, roomDirectory, toolPolicy, userAgent, userDirectory } from '../../actors/index.ts'
import type { AgentGeneration, AgentInference, AgentPrompt, RoomPlugins } from '../../actors/index.ts'
import { LevelStore, openLocalJournal, UserAccounts } from '../../node/index.ts'
import { ToolPolicy } from '../../node/users/index.ts'
import type { ReplicatedJournal } from '../../node/index.ts'
import { RateLimiter, SubscribeEncoder, agentServiceHandlers, chatGateway, chatServiceHandlers, startGrpcServer } from '../../node/grpc/index.ts'
import type { AgentServiceDeps, ChatServiceDeps, GrpcService } from '../../node/grpc/index.ts'
import { AgentAsker, agentGateway } from '../../node/inference/index.ts'
import { loadAgentService, loadChatService, loadRetryInfoTypes } from '../../protocols/grpc/index.ts'
import { agentClient, chatClient } from './node-process.ts'
import { FunctionTools } from './function-tools.ts'
import { tempDir } from './temp-dir.ts'

export const QUIET = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

/** What one generation of ScriptedInference does: call tools, or say a text (made of the prompt). */
export type ScriptStep =
  | { readonly call: ReadonlyArray<{ readonly name: string, readonly arguments: Readonly<Record<string, unknown>>, readonly id?: string }>, readonly text?: string }
  | { readonly say: string | ((prompt: AgentPrompt) => string) }

/**
 * An agent's inference that answers every question with the words of `answer` (one token each),
 * or, while `hold` is set, waits for its signal: a stand-in for the model, so that a spec of the
 * gRPC side runs no llama.cpp (the agent, its journal and the asker are the real ones). `steps`
 * script the generations to come, in order: each calls tools (stop reason tool-calls) or says a
 * text; once they are used up it answers `answer`.
 */
export class ScriptedInference implements AgentInference {
  answer = 'scripted answer here'
  hold = false
  readonly steps: ScriptStep[] = []
  /** Runs as each generation starts (before it answers). */
  onGenerate: ((prompt: AgentPrompt) => Promise<void>) | undefined
  readonly prompts: AgentPrompt[] = []
  /** The cache key of each generation. */
  readonly cacheKeys: string[] = []
  /** Questions whose generation was cancelled. */
  cancelled = 0

  checkModel (): void {}

  models (): string[] {
    return ['scripted']
  }

  async generate (_user: string, _model: string, prompt: AgentPrompt, onToken: (text: string) => void, options: { readonly signal: AbortSignal, readonly cacheKey: string }): Promise<AgentGeneration> {
    this.prompts.push(prompt)
    this.cacheKeys.push(options.cacheKey)
    await this.onGenerate?.(prompt)
    if (this.hold) {
      await new Promise<void>((resolve) => { options.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
      this.cancelled++
      return { text: '', model: 'scripted', stopReason: 'cancelled' as const, promptTokens: 1, completionTokens: 0, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
    }
    const step = this.steps.shift()
    if (step !== undefined && 'call' in step) {
      const toolCalls = step.call.map((c, i) => ({ id: c.id ?? `call-${this.prompts.length}-${i + 1}`, name: c.name, arguments: c.arguments }))
      // what it says before it calls, in one token
      if (step.text !== undefined) onToken(step.text)
      return { text: step.text ?? '', model: 'scripted', stopReason: 'tool-calls' as const, toolCalls, promptTokens: 3, completionTokens: toolCalls.length, droppedTurns: 0, ttftMs: 1, durationMs: 2 }
    }
    const text = step === undefined ? this.answer : typeof step.say === 'string' ? step.say : step.say(prompt)
    const words = text.split(' ')
    for (const [i, word] of words.entries()) onToken(i === 0 ? word : ` ${word}`)
    return { text, model: 'scripted', stopReason: 'eos' as const, promptTokens: 3, completionTokens: words.length, droppedTurns: 0, ttftMs: 1, durationMs: 2 }
  }
}

/**
 * The chat and agent services on a real gRPC server on loopback, over a real actor system and a
 * LevelDB in a temp dir, with a user `ann` (and `bob`) and their tokens; `stop()` undoes it all.
 */
export class GrpcServices {
  system!: ActorSystem
  journal!: ReplicatedJournal
  users!: UserAccounts
  server!: grpc.Server
  asker!: AgentAsker
  address = ''
  /** The services the gRPC server serves, their handlers (a gRPC-Web listener may serve them too). */
  services: GrpcService[] = []
  annToken = ''
  bobToken = ''
  accepting = true
  readonly inference = new ScriptedInference()
  /** The users' tool policies over this system. */
  toolPolicy!: ToolPolicy
  /** The tools agents call, when started with tools. */
  tools: FunctionTools | undefined
  readonly retryTypes = loadRetryInfoTypes()
  readonly #clients: Array<{ close: () => void }> = []
  #store!: LevelStore
  #dir!: { path: string, remove: () => Promise<void> }

  /** `tools`: agents call `tools` (FunctionTools over the users' tool policies), and the Agent
   * service's Tools call shows and switches them. */
  /** `plugins`: the rooms' plugins (commands and hooks; none by default). */
  static async start (chat: Partial<ChatServiceDeps> = {}, agent: Partial<AgentServiceDeps> = {}, options: { readonly tools?: boolean, readonly plugins?: RoomPlugins } = {}): Promise<GrpcServices> {
    const s = new GrpcServices()
    await s.#start(chat, agent, options.tools === true, options.plugins ?? NO_ROOM_PLUGINS)
    return s
  }

  async #start (chat: Partial<ChatServiceDeps>, agent: Partial<AgentServiceDeps>, withTools: boolean, plugins: RoomPlugins): Promise<void> {
    this.#dir = await tempDir()
    this.#store = await LevelStore.open(join(this.#dir.path, 'store'))
    this.journal = await openLocalJournal(this.#store)
    this.system = new ActorSystem({ journal: this.journal, strictSerialization: true })
    for (const type of [chatRoomType({ plugins }), postHooks({ plugins }), roomDirectory, userDirectory, erasureLog] as const) this.system.registerEntity(type as never)
    this.toolPolicy = new ToolPolicy({ system: this.system })
    const tools = this.tools = withTools ? new FunctionTools(this.toolPolicy.allowed) : undefined
    this.system.registerEntity(userAgent({ inference: this.inference, sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 16 }, maxTokensLimit: 64, ...(tools !== undefined && { tools }) }))
    this.system.registerEntity(toolPolicy)
    this.users = new UserAccounts(this.system)
    this.annToken = (await this.users.add('ann')).token
    this.bobToken = (await this.users.add('bob')).token
    const { service, encoder } = SubscribeEncoder.install(loadChatService().service)
    const asker = this.asker = new AgentAsker(this.system, this.system.spawn(agentGateway(), { name: 'agent-gateway' }))
    const common = { system: this.system, users: this.users, retryTypes: this.retryTypes, log: QUIET, accepting: () => this.accepting, maxMessageBytes: 100 }
    this.services = [
      {
        service,
        handlers: chatServiceHandlers({
          ...common, gateway: this.system.spawn(chatGateway(), { name: 'chat-gateway' }), limiter: new RateLimiter({ rate: 1000, burst: 1000 }), streamBuffer: 100, encoder, ...chat
        })
      },
      { service: loadAgentService().service, handlers: agentServiceHandlers({ ...common, asker, ...(tools !== undefined && { toolPolicy: this.toolPolicy, toolProvider: tools }), ...agent }) }
    ]
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, this.services)
    this.server = started.server
    this.address = `127.0.0.1:${started.address.port}`
  }

  /** The temp dir the store is in (removed by stop()). */
  get dataDir (): string {
    return this.#dir.path
  }

  /** A chat client with `token` (closed by stop()). */
  chat (token: string | undefined): ReturnType<typeof chatClient> {
    const c = chatClient(this.address, token)
    this.#clients.push(c)
    return c
  }

  /** An agent client with `token` (closed by stop()). */
  agent (token: string | undefined): ReturnType<typeof agentClient> {
    const c = agentClient(this.address, token)
    this.#clients.push(c)
    return c
  }

  async stop (): Promise<void> {
    for (const c of this.#clients.splice(0)) c.close()
    this.server?.forceShutdown()
    await this.system?.terminate()
    await this.#store?.close()
    await this.#dir?.remove()
  }
}

/** The error a call failed with (or an error when it did not fail). */
export async function callFailure (call: Promise<unknown>): Promise<grpc.ServiceError> {
  return await call.then(() => { throw new Error('expected the call to fail') }, (e: grpc.ServiceError) => e)
}

/** The error a stream ended with. */
export async function streamFailure (stream: grpc.ClientReadableStream<unknown>): Promise<grpc.ServiceError> {
  return await new Promise<grpc.ServiceError>((resolve) => { stream.on('error', resolve) })
}
