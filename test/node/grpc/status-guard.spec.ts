import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { startGrpcServer, stopGrpcServer } from '../../../node/grpc/index.ts'
import { failureOf, unaryCall } from '../../../node/grpc/grpc-status.ts'
import { MAX_STATUS_BYTES } from '../../../node/grpc/constants.ts'
import { sendableStatus } from '../../../node/grpc/status-guard.ts'
import { loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { InvalidRequestError, UnauthenticatedError } from '../../../protocols/index.ts'

/** A method of raw bytes both ways. */
const method = (name: string, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> => ({
  path: `/plexi.test.Guard/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: (b) => b,
  requestDeserialize: (b) => b,
  responseSerialize: (b) => b,
  responseDeserialize: (b) => b
})

describe('statusGuard (real gRPC, through startGrpcServer)', function () {
  this.timeout(30_000)
  let server: grpc.Server
  let client: grpc.Client
  const logged: string[] = []
  /** What the handlers fail with, set by each test. */
  let thrown: unknown
  let raw: { code: grpc.status, details: string }

  before(async () => {
    const failure = failureOf('guard', { retryTypes: loadRetryInfoTypes(), log: { error: (_obj, msg) => { logged.push(msg) } } })
    const service: grpc.ServiceDefinition = {
      Thrown: method('Thrown', false),
      Raw: method('Raw', false),
      RawAfterWrite: method('RawAfterWrite', true),
      RawAtOnce: method('RawAtOnce', true)
    }
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [{
      service,
      handlers: {
        // as every Plexi unary handler is made: its rejection becomes a status
        Thrown: unaryCall<Buffer, Buffer>('Thrown', async () => { throw thrown }, failure),
        // a handler that answers a status of its own, later (as a stream's fail does)
        Raw: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => { setImmediate(() => { callback(raw as grpc.ServiceError) }) },
        // after a message: the status goes in trailers, sent from an event listener of grpc-js
        RawAfterWrite: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          call.write(Buffer.from('first'))
          setImmediate(() => { call.emit('error', raw) })
        },
        RawAtOnce: (call: grpc.ServerWritableStream<Buffer, Buffer>) => { call.emit('error', raw) }
      }
    }])
    server = started.server
    client = new grpc.Client(`127.0.0.1:${started.address.port}`, grpc.credentials.createInsecure())
  })
  after(async () => {
    client.close()
    await stopGrpcServer(server, 1_000)
  })

  const identity = (b: Buffer): Buffer => b
  // a bound on the wait, not a measurement: a call never answered ends DEADLINE_EXCEEDED, and the test fails on its code
  const options = (): grpc.CallOptions => ({ deadline: Date.now() + 10_000 })
  const unary = (name: string): Promise<grpc.StatusObject> => new Promise((resolve) => {
    client.makeUnaryRequest(`/plexi.test.Guard/${name}`, identity, identity, Buffer.alloc(0), new grpc.Metadata(), options(), () => undefined).on('status', resolve)
  })
  const stream = (name: string): Promise<{ status: grpc.StatusObject, messages: number }> => new Promise((resolve) => {
    let messages = 0
    const call = client.makeServerStreamRequest(`/plexi.test.Guard/${name}`, identity, identity, Buffer.alloc(0), new grpc.Metadata(), options())
    call.on('data', () => { messages++ })
    call.on('error', () => undefined)
    call.on('status', (status) => { resolve({ status, messages }) })
  })

  it('should answer a refusal whose message holds a lone surrogate, with its own code (grpc-js threw a URIError and the call was never answered)', async () => {
    thrown = new UnauthenticatedError('token \ud800 is not valid')
    const status = await unary('Thrown')
    expect([status.code, status.details]).to.deep.equal([grpc.status.UNAUTHENTICATED, 'token \ufffd is not valid'])
  })

  it('should answer every status a handler sends by itself, before or after a message, whatever its text', async () => {
    raw = { code: grpc.status.PERMISSION_DENIED, details: `not yours: ${'x'.repeat(40)}\udc00` }
    expect(await unary('Raw')).to.deep.include({ code: grpc.status.PERMISSION_DENIED, details: `not yours: ${'x'.repeat(40)}\ufffd` })
    expect((await stream('RawAtOnce')).status.code).to.equal(grpc.status.PERMISSION_DENIED)
    const after = await stream('RawAfterWrite')
    expect([after.messages, after.status.code]).to.deep.equal([1, grpc.status.PERMISSION_DENIED])
  })

  it('should cut a status message to MAX_STATUS_BYTES of UTF-8, so that it fits in the headers that carry it', async () => {
    raw = { code: grpc.status.INVALID_ARGUMENT, details: '😀'.repeat(50_000) }
    const status = await unary('Raw')
    expect(status.code).to.equal(grpc.status.INVALID_ARGUMENT)
    expect(Buffer.byteLength(status.details)).to.be.at.most(MAX_STATUS_BYTES)
    expect(status.details).to.match(/^(😀)+…$/u)
  })

  it('should answer INTERNAL, and log it, when no status can be made of what a handler threw', async () => {
    thrown = Object.defineProperty(new InvalidRequestError('x'), 'message', { get () { throw new Error('a getter that throws') } })
    const status = await unary('Thrown')
    expect(status.code).to.equal(grpc.status.INTERNAL)
    expect(status.details).to.match(/^[\x20-\x7e]+$/)
    expect(logged.at(-1)).to.equal('guard Thrown failed, and no status could be made of its error')
  })
})

describe('sendableStatus', () => {
  it('should make any status one grpc-js can send: well-formed text, a known code, metadata', () => {
    expect(sendableStatus({ code: grpc.status.NOT_FOUND, details: '\ud83d' })).to.deep.include({ code: grpc.status.NOT_FOUND, details: '\ufffd' })
    expect(sendableStatus({ code: 99, details: 7 })).to.deep.include({ code: grpc.status.UNKNOWN, details: '' })
    expect(sendableStatus({}).metadata).to.be.instanceOf(grpc.Metadata)
    const ok = { code: grpc.status.OK, details: 'OK', metadata: new grpc.Metadata() }
    expect(sendableStatus(ok)).to.deep.equal(ok)
  })
})
