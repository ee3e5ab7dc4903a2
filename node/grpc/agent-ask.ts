import type * as grpc from '@grpc/grpc-js'
import { InvalidRequestError } from '../../protocols/index.ts'
import { TokenCoalescer } from '../inference/index.ts'
import type { AgentAsker } from '../inference/index.ts'
import { agentCaller } from './call-auth.ts'
import type { CallAuthDeps } from './call-auth.ts'
import type { AskRequest } from './agent-wire.ts'
import { wireDone, wireEvent } from './agent-wire.ts'
import type { StatusError } from './grpc-status.ts'

/** What an Ask call uses. */
export interface AgentAskDeps extends CallAuthDeps {
  readonly asker: AgentAsker
  /** Largest question, in UTF-8 bytes (config `max-message-bytes`). */
  readonly maxMessageBytes: number
}

/**
 * One Ask call: the caller asks its own agent; the answer streams as the agent makes it (the
 * request id first, tokens coalesced while the client reads, queue positions, the tools it calls
 * and what they answer), then `done`. A client that cancels cancels the generation (the agent
 * keeps what it made) and is sent nothing more; any other failure ends the call with its status.
 */
export async function askCall (deps: AgentAskDeps, failure: (call: string, err: unknown) => StatusError,
  call: grpc.ServerWritableStream<AskRequest, unknown>): Promise<void> {
  let user: string
  try {
    user = await agentCaller(call, deps, call.request.user)
    const text = call.request.text
    if (typeof text !== 'string' || text.trim().length === 0) throw new InvalidRequestError('text: must not be empty')
    const bytes = Buffer.byteLength(text, 'utf8')
    if (bytes > deps.maxMessageBytes) throw new InvalidRequestError(`text: ${bytes} bytes is over the limit of ${deps.maxMessageBytes} bytes`)
  } catch (err) {
    call.emit('error', failure('Ask', err))
    return
  }
  const cancelled = new AbortController()
  call.on('cancelled', () => { cancelled.abort() })
  const tokens = new TokenCoalescer((text, written) => { call.write({ token: { text } }, written) })
  try {
    const answer = await deps.asker.ask(user, call.request.text, {
      signal: cancelled.signal,
      onStarted: (requestId) => { call.write({ started: { requestId } }) },
      onEvent: (event) => {
        if (event.kind === 'token') {
          tokens.push(event.text)
        } else {
          // queue positions and tool calls and results come between the tokens around them
          tokens.flush()
          call.write(wireEvent(event))
        }
      }
    })
    tokens.flush()
    call.write({ done: wireDone(answer) })
    call.end()
  } catch (err) {
    if (!cancelled.signal.aborted) call.emit('error', failure('Ask', err))
  }
}
