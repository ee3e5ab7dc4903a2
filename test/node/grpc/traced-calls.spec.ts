import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { callCarrier, tracedHandlers } from '../../../node/grpc/traced-calls.ts'
import { NO_SPANS } from '../../../node/tracing/index.ts'
import type { SpanAttrs, SpanOptions, Spans } from '../../../node/tracing/index.ts'

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

function metadata (entries: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata()
  for (const [k, v] of Object.entries(entries)) md.set(k, v)
  return md
}

const method = (path: string, responseStream = false): grpc.MethodDefinition<unknown, unknown> => ({
  path, requestStream: false, responseStream, requestSerialize: (v: unknown) => v as Buffer, requestDeserialize: (b: Buffer) => b, responseSerialize: (v: unknown) => v as Buffer, responseDeserialize: (b: Buffer) => b
})

describe('traced gRPC calls', () => {
  it('should honour a client\'s traceparent (and tracestate) from the metadata, and ignore a malformed one', () => {
    expect(callCarrier(metadata({ traceparent: TP }))).to.deep.equal({ traceparent: TP })
    expect(callCarrier(metadata({ traceparent: TP, tracestate: 'v=1' }))).to.deep.equal({ traceparent: TP, tracestate: 'v=1' })
    expect(callCarrier(metadata({ traceparent: TP, tracestate: 'x'.repeat(600) }))).to.deep.equal({ traceparent: TP })
    expect(callCarrier(metadata({ traceparent: 'garbage' }))).to.equal(undefined)
    expect(callCarrier(metadata({}))).to.equal(undefined)
  })

  it('should leave the handlers as they are with tracing off', () => {
    const handlers = { Post: () => undefined }
    expect(tracedHandlers({ Post: method('/plexi.chat.v1.Chat/Post') }, handlers, NO_SPANS)).to.equal(handlers)
  })

  it('should make a unary call a server span under the client\'s trace, answered and logged inside it; Subscribe none', async () => {
    const made: Array<{ name: string, attrs: SpanAttrs | undefined, opts: SpanOptions | undefined }> = []
    const spans: Spans = { ...NO_SPANS, on: true, span: <T>(name: string, attrs: SpanAttrs | undefined, fn: () => T, opts?: SpanOptions): T => { made.push({ name, attrs, opts }); return fn() } }
    const logged: string[] = []
    const subscribe = (): void => undefined
    const traced = tracedHandlers(
      { Post: method('/plexi.chat.v1.Chat/Post'), Subscribe: method('/plexi.chat.v1.Chat/Subscribe', true) },
      { Post: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => { cb(null, { seq: 1 }) }, Subscribe: subscribe },
      spans, { debug: (_o, msg) => { logged.push(msg) } })
    expect(traced.Subscribe).to.equal(subscribe)
    const answered = await new Promise<unknown>((resolve) => {
      (traced.Post as grpc.handleUnaryCall<unknown, unknown>)({ metadata: metadata({ traceparent: TP }) } as unknown as grpc.ServerUnaryCall<unknown, unknown>, (_err, value) => { resolve(value) })
    })
    expect(answered).to.deep.equal({ seq: 1 })
    expect(made).to.have.lengthOf(1)
    expect(made[0]?.name).to.equal('plexi.chat.v1.Chat/Post')
    expect(made[0]?.attrs).to.deep.equal({ 'rpc.system': 'grpc', 'rpc.service': 'plexi.chat.v1.Chat', 'rpc.method': 'Post' })
    expect(made[0]?.opts).to.deep.equal({ root: true, role: 'server', parent: { traceparent: TP } })
    expect(logged[0]).to.match(/^plexi\.chat\.v1\.Chat\/Post answered \(code 0\) in \d+ ms$/)
  })
})
