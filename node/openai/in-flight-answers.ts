import type { FastifyReply } from 'fastify'
import { CLOSE_GRACE_MS } from './constants.ts'

/** One answer in flight: its signal aborts when its client leaves before the response is written
 * out, or when the server closes. */
export interface InFlightAnswer {
  readonly signal: AbortSignal
  /** The handler is done with the answer (its response may still be written out). */
  done (): void
}

/**
 * The endpoint's answers in flight, so that closing the server ends them (with an error the client
 * can act on) instead of waiting for them. Each is in flight until its response is written out
 * (or its client is gone), not just until its handler returns.
 */
export class InFlightAnswers {
  readonly #answers = new Map<AbortController, Promise<void>>()
  #closing = false

  /** True once the server closes: an answer cut now was cut by the close, not by its client. */
  get closing (): boolean {
    return this.#closing
  }

  /** Answers in flight now. */
  get size (): number {
    return this.#answers.size
  }

  /** Tracks the answer `reply` carries. */
  track (reply: FastifyReply): InFlightAnswer {
    const controller = new AbortController()
    const onClose = (): void => { if (!reply.raw.writableFinished) controller.abort() }
    reply.raw.on('close', onClose)
    this.#answers.set(controller, new Promise<void>((resolve) => {
      reply.raw.once('close', () => {
        this.#answers.delete(controller)
        resolve()
      })
    }))
    return { signal: controller.signal, done: () => { reply.raw.off('close', onClose) } }
  }

  /** Aborts every answer in flight and waits for them to end, at most CLOSE_GRACE_MS. */
  async close (): Promise<void> {
    this.#closing = true
    for (const controller of this.#answers.keys()) controller.abort()
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS) })
    await Promise.race([Promise.all(this.#answers.values()), grace])
    clearTimeout(timer)
  }
}
