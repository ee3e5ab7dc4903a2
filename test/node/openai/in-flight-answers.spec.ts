import { once } from 'node:events'
import { expect } from 'chai'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { InFlightAnswers } from '../../../node/openai/in-flight-answers.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('InFlightAnswers (real Fastify, listening)', function () {
  this.timeout(30_000)
  let app: FastifyInstance
  let answers: InFlightAnswers
  let port = 0
  const signals: AbortSignal[] = []

  beforeEach(async () => {
    answers = new InFlightAnswers()
    signals.length = 0
    app = Fastify({ forceCloseConnections: true })
    // an answer that runs until its signal aborts, or at once for /quick
    app.get('/hold', async (_request, reply) => {
      const answer = answers.track(reply)
      signals.push(answer.signal)
      try {
        await new Promise<void>((resolve) => { answer.signal.addEventListener('abort', () => { resolve() }) })
        return { cut: true, closing: answers.closing }
      } finally {
        answer.done()
      }
    })
    // an answer written out whole while its handler still holds it (as a stream that ended)
    app.get('/quick', async (_request, reply) => {
      const answer = answers.track(reply)
      signals.push(answer.signal)
      reply.hijack()
      const closed = once(reply.raw, 'close')
      reply.raw.end('{"ok":true}')
      await closed
      answer.done()
    })
    app.addHook('preClose', async () => { await answers.close() })
    await app.listen({ host: '127.0.0.1', port: 0 })
    port = (app.server.address() as AddressInfo).port
  })
  afterEach(async () => { await app.close() })

  it('should abort every answer in flight and wait for them to be written out, when the server closes', async () => {
    const held = [fetch(`http://127.0.0.1:${port}/hold`), fetch(`http://127.0.0.1:${port}/hold`)]
    await waitFor(() => answers.size === 2, 'two answers in flight')
    expect(answers.closing).to.equal(false)
    const closed = app.close()
    const bodies = await Promise.all(held.map(async (r) => await (await r).json()))
    expect(bodies).to.deep.equal([{ cut: true, closing: true }, { cut: true, closing: true }])
    await closed
    expect(answers.size).to.equal(0)
  })

  it('should abort the answer of a client that leaves, and not one written out, when their responses close', async () => {
    await (await fetch(`http://127.0.0.1:${port}/quick`)).json()
    await waitFor(() => answers.size === 0, 'the quick answer out of flight')
    expect(signals[0]?.aborted).to.equal(false)
    const leaving = new AbortController()
    const held = fetch(`http://127.0.0.1:${port}/hold`, { signal: leaving.signal }).catch(() => undefined)
    await waitFor(() => answers.size === 1, 'the held answer in flight')
    leaving.abort()
    await held
    await waitFor(() => signals[1]?.aborted === true, 'the answer aborted')
    await waitFor(() => answers.size === 0, 'the held answer out of flight')
    expect(answers.closing).to.equal(false)
  })
})
