import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { TokenSink } from '../runtime.ts'
import type { LlamaControlMessage, LlamaStreamMessage } from './llama-protocol.ts'

/**
 * The runtime's end of one request's MessagePort: the text the worker posts goes to the caller's
 * sink, and `cancel` asks the worker to stop. What goes wrong on this side (a sink that throws: the
 * caller cannot take more text; a message of an unknown type) cancels the generation and is kept
 * as `failure`, reported once the worker has stopped: not thrown from the port's listener, where
 * nobody could catch it.
 */
export class TokenStream {
  /** The worker's end, to transfer with the task. */
  readonly port: MessagePort
  readonly #own: MessagePort
  readonly #onToken: TokenSink
  #failure: { readonly err: unknown } | undefined

  constructor (onToken: TokenSink) {
    const { port1, port2 } = new MessageChannel()
    this.#own = port1
    this.port = port2
    this.#onToken = onToken
    port1.on('message', (msg: LlamaStreamMessage) => { this.#deliver(msg) })
  }

  /** What went wrong on this side while the worker ran, if anything. */
  get failure (): { readonly err: unknown } | undefined {
    return this.#failure
  }

  cancel (): void {
    this.#own.postMessage({ type: 'cancel' } satisfies LlamaControlMessage)
  }

  /** Delivers what the worker posted and this side has not read yet. Piscina's answer and the text
   * arrive on different ports, in no set order between them; once the answer is in, everything the
   * worker posted before answering is queued on this port, so read it before returning. */
  drain (): void {
    for (let entry = receiveMessageOnPort(this.#own); entry !== undefined; entry = receiveMessageOnPort(this.#own)) {
      this.#deliver(entry.message as LlamaStreamMessage)
    }
  }

  close (): void {
    this.#own.close()
  }

  #deliver (msg: LlamaStreamMessage): void {
    if (this.#failure !== undefined) return
    switch (msg.type) {
      case 'text-generated':
        try {
          this.#onToken(msg.text)
        } catch (err) {
          // the caller cannot take more text: stop the generation, then fail with its error
          this.#failure = { err }
          this.cancel()
        }
        return
      default: {
        const type: never = msg.type
        this.#failure = { err: new TypeError(`unexpected message from the llama worker: ${JSON.stringify(type)}`) }
        this.cancel()
      }
    }
  }
}
