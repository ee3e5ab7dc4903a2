import { createHash, randomUUID } from 'node:crypto'
import type { ActorAddress, ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { assertNever, clip, errorData, shown } from '../../protocols/index.ts'
import { InferenceUnavailableError, checkToolRequest } from '../../runtimes/index.ts'
import type { ChatTurn, GenerateRequest, GenerateResult, ModelManager } from '../../runtimes/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { ModelNotWarmError } from './errors.ts'
import { ANSWER_TIMEOUT_MS, LIVENESS_MS, MAX_NAME, MAX_REQUEST_ID, MAX_TEXT_BYTES, MAX_TURNS } from './constants.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** Where every node serves the requests other nodes forward to it. */
export const INFERENCE_PATH = systemPath('inference', 1)
/** Where every node takes the text of the requests it forwarded. */
export const INFERENCE_RELAY_PATH = systemPath('inference-relay', 1)
const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool'])

export type InferenceMsg =
  /** Another member asks this one to run a request on a model it has loaded; the text goes to
   * `relay` as it comes, the result is the reply. Refused (ModelNotWarmError) unless the model is
   * loaded here with a slot free now. */
  | { readonly type: 'generate', readonly requestId: string, readonly user: string, readonly model: string, readonly request: GenerateRequest, readonly relay: ActorAddress, readonly replyTo: ReplyTo<GenerateResult> }
  | { readonly type: 'cancel', readonly requestId: string }

export type RelayMsg =
  | { readonly type: 'inference-text', readonly requestId: string, readonly text: string }
  /** This node: hand the text of `requestId` to `onText` (local only, never from the wire). */
  | { readonly type: 'attach', readonly requestId: string, readonly onText: (text: string) => void }
  /** Replies once every piece sent before it has been handed on. */
  | { readonly type: 'detach', readonly requestId: string, readonly replyTo?: ReplyTo<void> }

export interface WarmForwardingOptions {
  readonly system: ActorSystem
  readonly manager: ModelManager
  /** The other members that are up and hold the ai role, with the models each has loaded. */
  readonly warmMembers: () => ReadonlyArray<{ readonly peerId: string, readonly models: readonly string[] }>
  /** Whether a member is still up. */
  readonly live: (peer: string) => boolean
  readonly log: { warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** Each request this node forwarded ('sent') or served for another ('served'), for metrics. */
  readonly onForward?: (model: string, direction: 'sent' | 'served') => void
}

/**
 * No cold model load when a warm member can answer: a node asked to run a model it has not loaded
 * first asks a member that has it loaded to answer in its place (the member chosen by the request's
 * conversation, so that its turns meet their KV cache there), which takes the request only with a
 * slot free at once; otherwise the node loads the model itself, as before. Busy warm members thus
 * make the others load the model too, and a node that has it loaded always answers itself. The
 * text streams back through this node's relay actor; a member that goes down mid-answer fails the
 * request at once (InferenceUnavailableError).
 */
export class WarmForwarding {
  readonly #opts: WarmForwardingOptions
  readonly #running = new Map<string, AbortController>()

  constructor (opts: WarmForwardingOptions) {
    this.#opts = opts
  }

  /** The member to ask for `model` when it is not loaded here: among those that have it loaded,
   * the one `key` (a conversation, else a user) hashes to. */
  warmPeer (model: string, key: string): string | undefined {
    if (this.#opts.manager.holds(model)) return undefined
    let best: string | undefined
    let bestScore = ''
    for (const m of this.#opts.warmMembers()) {
      if (!m.models.includes(model)) continue
      const score = createHash('sha256').update(`${key}\0${m.peerId}`).digest('hex')
      if (best === undefined || score > bestScore) {
        best = m.peerId
        bestScore = score
      }
    }
    return best
  }

  /** Runs the request on `peer`; rejects with ModelNotWarmError when it would not take it (the
   * caller then runs it here), InferenceUnavailableError when it went down mid-answer. */
  async generate (peer: string, user: string, model: string, request: GenerateRequest, onText: (text: string) => void, signal?: AbortSignal): Promise<GenerateResult> {
    const { system } = this.#opts
    const requestId = randomUUID()
    const relay = system.actorAt<RelayMsg>({ node: system.node, path: INFERENCE_RELAY_PATH })
    const remote = system.actorAt<InferenceMsg>({ node: peer, path: INFERENCE_PATH })
    relay.tell({ type: 'attach', requestId, onText })
    const gone = new AbortController()
    // a plain timer, not a PeriodicService: it lives as long as this one request, and only reads
    // the view (live cannot fail)
    const watch = setInterval(() => { if (!this.#opts.live(peer)) gone.abort() }, LIVENESS_MS)
    const onAbort = (): void => { remote.tell({ type: 'cancel', requestId }) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const answer = remote.ask<GenerateResult>((replyTo) => ({ type: 'generate', requestId, user, model, request, relay: relay.address, replyTo }), { timeout: ANSWER_TIMEOUT_MS })
      const lost = new Promise<never>((_resolve, reject) => {
        gone.signal.addEventListener('abort', () => { reject(new InferenceUnavailableError(`member ${peer}, which was answering for model ${model}, is down; ask again`)) }, { once: true })
      })
      const result = await Promise.race([answer, lost])
      // every piece was sent before the reply, on the same link: once the relay has handled this
      // detach, they have all been handed on
      await relay.ask<void>((replyTo) => ({ type: 'detach', requestId, replyTo }))
      this.#opts.onForward?.(model, 'sent')
      return result
    } catch (err) {
      relay.tell({ type: 'detach', requestId })
      throw err
    } finally {
      clearInterval(watch)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** What other members' forwarded requests reach. */
  behavior (): Behavior<InferenceMsg, undefined> {
    return {
      receive: (_state, sent, ctx) => {
        let msg: InferenceMsg
        try {
          msg = checkInferenceMsg(sent)
        } catch (err) {
          const replyTo = (sent as { replyTo?: unknown } | null)?.replyTo
          if (isReplyTo(replyTo)) ctx.fail(replyTo, err)
          return undefined
        }
        switch (msg.type) {
          case 'generate': {
            const { manager, system } = this.#opts
            if (!manager.hasFreeSlot(msg.model) || this.#running.has(msg.requestId)) {
              ctx.fail(msg.replyTo, new ModelNotWarmError(`model ${clip(msg.model, 100)} is not loaded here with a free slot`))
              return undefined
            }
            const controller = new AbortController()
            this.#running.set(msg.requestId, controller)
            const relay = system.actorAt<RelayMsg>(msg.relay)
            const requestId = msg.requestId
            // not awaited: the actor goes on taking requests and cancels while this one runs
            void manager.generate(msg.model, msg.request, (text) => { relay.tell({ type: 'inference-text', requestId, text }) },
              { signal: controller.signal, user: `${msg.replyTo.node}/${msg.user}` })
              .then((result) => {
                this.#opts.onForward?.(msg.model, 'served')
                ctx.reply(msg.replyTo, result)
              }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
              .finally(() => { this.#running.delete(requestId) })
            return undefined
          }
          case 'cancel':
            this.#running.get(msg.requestId)?.abort()
            return undefined
          default:
            return assertNever(msg, 'inference message')
        }
      }
    }
  }

  /** This node's relay: the text of the requests it forwarded, to their callers. */
  relayBehavior (): Behavior<RelayMsg, Map<string, (text: string) => void>> {
    return {
      init: () => new Map(),
      receive: (calls, msg, ctx) => {
        switch (msg.type) {
          case 'inference-text': {
            if (typeof msg.requestId !== 'string' || typeof msg.text !== 'string') return calls
            const onText = calls.get(msg.requestId)
            try {
              onText?.(msg.text)
            } catch (err) {
              this.#opts.log.debug({ err: errorData(err) }, 'the caller of a forwarded request could not take its text')
            }
            return calls
          }
          case 'attach':
            // only this node attaches (a function never crosses the wire)
            if (typeof msg.onText === 'function') calls.set(msg.requestId, msg.onText)
            return calls
          case 'detach':
            calls.delete(msg.requestId)
            if (msg.replyTo !== undefined) ctx.reply(msg.replyTo, undefined)
            return calls
          default: {
            // anything else came off the wire malformed: ignored, never a crash that would lose
            // the calls in flight
            const type: never = msg
            this.#opts.log.debug({ type: clip(JSON.stringify((type as { type?: unknown }).type) ?? '', 64) }, 'the inference relay ignored an unknown message')
            return calls
          }
        }
      }
    }
  }
}

/** A forwarded request as it came off the wire, checked field by field. */
export function checkInferenceMsg (msg: unknown): InferenceMsg {
  const m = msg as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null) throw new InvalidPeerRequestError('an inference message is an object')
  const id = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= MAX_REQUEST_ID
  if (m.type === 'cancel') {
    if (!id(m.requestId)) throw new InvalidPeerRequestError('requestId: an id')
    return m as unknown as InferenceMsg
  }
  if (m.type !== 'generate') throw new InvalidPeerRequestError(`unknown inference message ${shown(m.type, 64)}`)
  if (!isReplyTo(m.replyTo)) throw new InvalidPeerRequestError('a generate request needs a reply address')
  if (!id(m.requestId)) throw new InvalidPeerRequestError('requestId: an id')
  const name = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME
  if (!name(m.user) || !name(m.model)) throw new InvalidPeerRequestError('user and model: names of 1 to 512 characters')
  const relay = m.relay as Record<string, unknown> | null
  if (typeof relay !== 'object' || relay === null || !name(relay.node) || relay.path !== INFERENCE_RELAY_PATH) throw new InvalidPeerRequestError(`relay: the sender's ${INFERENCE_RELAY_PATH}`)
  const r = m.request as Record<string, unknown> | null
  if (typeof r !== 'object' || r === null) throw new InvalidPeerRequestError('request: an object')
  if (r.cacheKey !== undefined && !name(r.cacheKey)) throw new InvalidPeerRequestError('request.cacheKey: 1 to 512 characters')
  const input = r.input as Record<string, unknown> | null
  const turns = input?.messages
  if (!Array.isArray(turns) || turns.length === 0 || turns.length > MAX_TURNS) throw new InvalidPeerRequestError(`request.input.messages: 1 to ${MAX_TURNS} chat turns`)
  let bytes = 0
  for (const turn of turns as Array<Partial<ChatTurn> | null>) {
    if (typeof turn !== 'object' || turn === null || !ROLES.has(turn.role as string) || typeof turn.content !== 'string') throw new InvalidPeerRequestError('request.input.messages: { role, content } turns')
    bytes += turn.content.length + (turn.toolCalls === undefined ? 0 : JSON.stringify(turn.toolCalls).length)
  }
  // the tools offered, the tool choice and the conversation's calls and results, as any runtime
  // checks them (bounded, so that their bytes can be counted below)
  try {
    checkToolRequest(r as unknown as GenerateRequest)
  } catch (err) {
    throw new InvalidPeerRequestError(`request.${errorData(err).message}`)
  }
  bytes += r.tools === undefined ? 0 : JSON.stringify(r.tools).length
  if (bytes > MAX_TEXT_BYTES) throw new InvalidPeerRequestError(`request: more than ${MAX_TEXT_BYTES} bytes of messages and tools`)
  // the sampling values are checked by the runtime, as for any request (a RangeError, kind invalid)
  if (typeof r.params !== 'object' || r.params === null) throw new InvalidPeerRequestError('request.params: an object')
  return m as unknown as InferenceMsg
}

/** Starts the inference server and relay actors on `system`. */
export function spawnWarmForwarding (system: ActorSystem, forwarding: WarmForwarding): void {
  system.spawn(forwarding.behavior(), { name: INFERENCE_PATH.slice(1), kind: 'inference', mailbox: 4096 })
  system.spawn(forwarding.relayBehavior(), { name: INFERENCE_RELAY_PATH.slice(1), kind: 'inference-relay', mailbox: 65_536 })
}
