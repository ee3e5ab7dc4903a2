import { expect } from 'chai'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AdminClient } from '../../cli/admin-client.ts'
import { CliError } from '../../cli/cli-errors.ts'

/** AdminClient.requestIdempotent against a real HTTP server on loopback that answers each request
 * with the next of the statuses the test lists. */
describe('AdminClient.requestIdempotent', () => {
  let server: Server
  let url: string
  let answers: Array<{ status: number, body: unknown }>
  let bodies: unknown[]

  beforeEach(async () => {
    answers = []
    bodies = []
    server = createServer((req, res) => {
      let text = ''
      req.on('data', (chunk: Buffer) => { text += chunk.toString() })
      req.on('end', () => {
        bodies.push(JSON.parse(text))
        const next = answers.shift() ?? { status: 500, body: { message: 'no answer scripted' } }
        res.writeHead(next.status, { 'content-type': 'application/json' }).end(JSON.stringify(next.body))
      })
    })
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterEach(async () => { await new Promise((resolve) => { server.close(resolve) }) })

  const timeout = { status: 504, body: { statusCode: 504, code: 'TIMEOUT', message: 'no reply from users/all within 5000 ms; retry shortly' } }

  it('should try again with the same body while the outcome is unknown, and return the answer that came', async () => {
    answers = [timeout, { status: 503, body: { message: 'writes unavailable' } }, { status: 201, body: { name: 'ann', token: 'plxu_x' } }]
    const retries: string[] = []
    const created = await new AdminClient(url, 't').requestIdempotent('POST', '/api/v1/users', { name: 'ann', clientId: 'c-1' }, {
      delaysMs: [1, 1, 1], onRetry: (err, ms) => { retries.push(`${err.answer?.status ?? '-'} ${ms}`) }
    })
    expect(created).to.deep.equal({ name: 'ann', token: 'plxu_x' })
    expect(retries).to.deep.equal(['504 1', '503 1'])
    expect(bodies).to.deep.equal([1, 2, 3].map(() => ({ name: 'ann', clientId: 'c-1' })))
  })

  it('should not try again an answer about the request itself, and say when the outcome stays unknown', async () => {
    const api = new AdminClient(url, 't')
    answers = [{ status: 409, body: { code: 'USER_EXISTS', message: 'user "ann" already exists' } }]
    const refused = await api.requestIdempotent('POST', '/api/v1/users', { name: 'ann' }, { delaysMs: [1] }).then(() => null, (e: unknown) => e as CliError)
    expect(refused?.answer?.status).to.equal(409)
    expect(api.unknownOutcome(refused as CliError)).to.equal(false)
    expect(bodies).to.have.length(1)
    answers = [timeout, timeout]
    const unknown = await api.requestIdempotent('POST', '/api/v1/users', { name: 'ann' }, { delaysMs: [1] }).then(() => null, (e: unknown) => e as CliError)
    expect(unknown?.answer?.status).to.equal(504)
    expect(api.unknownOutcome(unknown as CliError)).to.equal(true)
    expect(bodies).to.have.length(3)
  })

  it('should not try again a request that never left (nothing listens there)', async () => {
    await new Promise((resolve) => { server.close(resolve) })
    const api = new AdminClient(url, 't')
    let retried = 0
    const err = await api.requestIdempotent('POST', '/api/v1/users', { name: 'ann' }, { delaysMs: [1, 1], onRetry: () => { retried++ } }).then(() => null, (e: unknown) => e as CliError)
    expect(err?.message).to.match(/cannot reach the admin endpoint .*ECONNREFUSED/)
    expect(api.unknownOutcome(err as CliError)).to.equal(false)
    expect(retried).to.equal(0)
    server = createServer()
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  })
})

/** AdminClient.download against a real HTTP server on loopback that streams its answer. */
describe('AdminClient.download', () => {
  let server: Server
  let url: string

  beforeEach(async () => {
    server = createServer((req, res) => {
      if (req.url === '/missing') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'no such room' }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-plexi-export-records': '2' })
      res.write('{"a":1}\n')
      setTimeout(() => { res.end('{"b":2}\n') }, 20)
    })
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterEach(async () => { await new Promise((resolve) => { server.close(resolve) }) })

  it('should yield the body as it streams, the records it holds with the first piece, and refuse with the node\'s message', async () => {
    const client = new AdminClient(url, 't')
    let text = ''
    const records: number[] = []
    for await (const piece of client.download('/export')) {
      text += Buffer.from(piece.data).toString()
      records.push(piece.records)
    }
    expect(text).to.equal('{"a":1}\n{"b":2}\n')
    expect(records[0]).to.equal(2)
    expect(records.slice(1).every((r) => r === 0)).to.equal(true)
    const err = await (async () => { for await (const piece of client.download('/missing')) return piece })().then(() => undefined, (e: unknown) => e as CliError)
    expect(err?.message).to.equal('GET /missing: 404 no such room')
  })
})
