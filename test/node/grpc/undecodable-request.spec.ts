import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { startGrpcServer, stopGrpcServer } from '../../../node/grpc/index.ts'
import { loadNodeServices } from '../../../protocols/grpc/index.ts'

describe('refuseUndecodable (through startGrpcServer)', function () {
  this.timeout(20_000)
  let server: grpc.Server
  let client: grpc.Client
  let handled = 0

  before(async () => {
    const { chat } = loadNodeServices()
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [{
      service: chat,
      handlers: {
        Join: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => { handled++; callback(null, { room: 'r', members: [] }) },
        Subscribe: (call: grpc.ServerWritableStream<unknown, unknown>) => { handled++; call.end() },
        // as the real Import does: it reads every chunk before it writes anything
        Import: (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          void (async () => {
            let chunks = 0
            try {
              for await (const _chunk of call) chunks++
            } catch (err) {
              callback({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message })
              return
            }
            handled++
            callback(null, { added: chunks })
          })()
        }
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
  const unary = (path: string, bytes: Buffer): Promise<grpc.StatusObject> => new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, bytes, new grpc.Metadata(), () => undefined).on('status', resolve)
  })
  const stream = (path: string, bytes: Buffer): Promise<grpc.StatusObject> => new Promise((resolve) => {
    const call = client.makeServerStreamRequest(path, identity, identity, bytes, new grpc.Metadata())
    call.on('error', () => undefined)
    call.on('status', resolve)
  })

  it('should answer a request protobuf cannot decode with INVALID_ARGUMENT, not INTERNAL, before the handler runs (found by fuzzing)', async () => {
    // a field key with nothing after it: protobuf reads past the end
    const statuses = [await unary('/plexi.chat.v1.Chat/Join', Buffer.from([0x0a])), await stream('/plexi.chat.v1.Chat/Subscribe', Buffer.from([0x08]))]
    for (const status of statuses) {
      expect(status.code).to.equal(grpc.status.INVALID_ARGUMENT)
      expect(status.details).to.match(/^request: not a (Join|Subscribe) request \(protobuf: .+\)$/)
    }
    expect(handled).to.equal(0)
  })

  it('should end a client stream\'s iteration at a message protobuf cannot decode, the handler answering it, having taken none', async () => {
    const clientStream = (path: string, chunks: Buffer[]): Promise<grpc.StatusObject> => new Promise((resolve) => {
      const call = client.makeClientStreamRequest(path, identity, identity, new grpc.Metadata(), () => undefined)
      call.on('status', resolve)
      for (const chunk of chunks) call.write(chunk)
      call.end()
    })
    const before = handled
    const status = await clientStream('/plexi.chat.v1.Chat/Import', [Buffer.from([0x0a, 0x01, 0x72]), Buffer.from([0x0a])])
    expect(status.code).to.equal(grpc.status.INVALID_ARGUMENT)
    expect(status.details).to.match(/^request: not a Import message \(protobuf: .+\)$/)
    expect(handled).to.equal(before)
    expect((await clientStream('/plexi.chat.v1.Chat/Import', [Buffer.from([0x0a, 0x01, 0x72])])).code).to.equal(grpc.status.OK)
    expect(handled).to.equal(before + 1)
  })

  it('should hand a request that decodes to its handler as before', async () => {
    expect((await unary('/plexi.chat.v1.Chat/Join', Buffer.from([0x0a, 0x01, 0x72]))).code).to.equal(grpc.status.OK)
    expect((await stream('/plexi.chat.v1.Chat/Subscribe', Buffer.alloc(0))).code).to.equal(grpc.status.OK)
    expect(handled).to.equal(3)
  })
})
