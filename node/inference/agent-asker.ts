import { randomUUID } from 'node:crypto'
import { AGENT } from '../../actors/index.ts'
import type { ActorRef, ActorSystem, AgentAnswer, AgentStreamEvent } from '../../actors/index.ts'
import type { AgentGatewayMsg } from './agent-gateway.ts'
import { ANSWER_TIMEOUT_MS } from './constants.ts'

/**
 * Asks a user's agent a question and hands its answer's events to `onEvent` as they come, for
 * the gRPC Ask call and the OpenAI endpoint alike. The agent streams to the node's agent gateway;
 * the answer itself arrives only after every event, in order.
 */
export class AgentAsker {
  readonly #system: ActorSystem
  readonly #gateway: ActorRef<AgentGatewayMsg>

  constructor (system: ActorSystem, gateway: ActorRef<AgentGatewayMsg>) {
    this.#system = system
    this.#gateway = gateway
  }

  /** `onStarted` gets the request id before any event. Aborting `signal` cancels the generation
   * (the agent keeps what was generated) and rejects with the signal's reason. `tool`: the tool the
   * agent's model must call first (a qualified name the user may use). */
  async ask (user: string, text: string, handlers: {
    readonly onStarted?: (requestId: string) => void
    readonly onEvent: (event: AgentStreamEvent['event']) => void
    readonly signal?: AbortSignal
    readonly tool?: string
  }): Promise<AgentAnswer> {
    const requestId = randomUUID()
    const agent = this.#system.entity(AGENT, user)
    const gateway = this.#gateway
    let open = true
    const onAbort = (): void => {
      open = false
      agent.tell({ type: 'cancel', user, requestId })
    }
    handlers.signal?.addEventListener('abort', onAbort, { once: true })
    gateway.tell({ type: 'attach', requestId, sink: { event: (event) => { if (open) handlers.onEvent(event) } } })
    handlers.onStarted?.(requestId)
    try {
      const answer = await agent.ask<AgentAnswer>((replyTo) => ({
        type: 'ask', user, text, requestId, sink: { kind: 'actor', address: gateway.address }, ...(handlers.tool !== undefined && { tool: handlers.tool }), replyTo
      }), { timeout: ANSWER_TIMEOUT_MS, ...(handlers.signal !== undefined && { signal: handlers.signal }) })
      // every event was told to the gateway before the agent replied: once the gateway has
      // handled this detach, they have all been handed over
      await gateway.ask<void>((replyTo) => ({ type: 'detach', requestId, replyTo }))
      return answer
    } catch (err) {
      gateway.tell({ type: 'detach', requestId })
      throw err
    } finally {
      open = false
      handlers.signal?.removeEventListener('abort', onAbort)
    }
  }
}
