import { expect } from 'chai'
import { createServer } from 'node:http'
import type { Server, ServerResponse } from 'node:http'
import * as grpc from '@grpc/grpc-js'
import { WebCall } from '../../../node/web/web-call.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** A real HTTP server whose every request is answered by `handle` with a WebCall (JSON messages). */
async function serve (handle: (call: WebCall, ended: grpc.StatusObject[]) => void, text = false): Promise<{ server: Server, url: string, ended: grpc.StatusObject[] }> {
  const ended: grpc.StatusObject[] = []
  const server = createServer((_req, res: ServerResponse) => {
    const call = new WebCall(res, { metadata: new grpc.Metadata(), peer: '127.0.0.1', serialize: (m) => Buffer.from(JSON.stringify(m)), text, headers: { 'x-extra': '1' }, onEnd: (s) => { ended.push(s) } })
    handle(call, ended)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, ended }
}

describe('WebCall', () => {
  let server: Server | undefined
  afterEach(async () => { server?.closeAllConnections(); await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined)); server = undefined })

  it('should send a handler\'s headers, each written message as a frame, then the status as the trailers frame, once', async () => {
    const s = await serve((call) => {
      const headers = new grpc.Metadata()
      headers.set('x-from-handler', 'yes')
      call.sendMetadata(headers)
      call.write({ n: 1 })
      call.write({ n: 2 })
      call.end()
      call.emit('error', { code: grpc.status.INTERNAL, details: 'too late' })
    })
    server = s.server
    const res = await fetch(s.url)
    const body = Buffer.from(await res.arrayBuffer())
    expect([res.headers.get('content-type'), res.headers.get('x-extra'), res.headers.get('x-from-handler')]).to.deep.equal(['application/grpc-web+proto', '1', 'yes'])
    const frames: Array<[number, string]> = []
    for (let at = 0; at < body.length;) {
      const length = body.readUInt32BE(at + 1)
      frames.push([body[at] as number, body.subarray(at + 5, at + 5 + length).toString()])
      at += 5 + length
    }
    expect(frames).to.deep.equal([[0, '{"n":1}'], [0, '{"n":2}'], [0x80, 'grpc-status:0\r\ngrpc-message:\r\n']])
    expect(s.ended.map((e) => e.code)).to.deep.equal([0])
  })

  it('should answer a unary callback\'s error with its status and its trailers, in base64 in text mode', async () => {
    const s = await serve((call) => {
      const metadata = new grpc.Metadata()
      metadata.set('retry-after-ms', '250')
      call.respond({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'slow down', metadata })
    }, true)
    server = s.server
    const res = await fetch(s.url)
    expect(res.headers.get('content-type')).to.equal('application/grpc-web-text+proto')
    const bytes = Buffer.from(await res.text(), 'base64')
    expect(bytes[0]).to.equal(0x80)
    expect(bytes.subarray(5).toString()).to.equal('grpc-status:8\r\ngrpc-message:slow down\r\nretry-after-ms:250\r\n')
  })

  it('should be cancelled, and say so once, when the client goes away mid-stream', async () => {
    let call: WebCall | undefined
    const events: string[] = []
    const s = await serve((c) => {
      call = c
      c.on('cancelled', () => { events.push('cancelled') })
      c.on('close', () => { events.push('close') })
      c.write({ hello: true })
    })
    server = s.server
    const abort = new AbortController()
    const res = await fetch(s.url, { signal: abort.signal })
    const reader = res.body?.getReader()
    await reader?.read()
    abort.abort()
    await waitFor(() => events.includes('close'), 'the call closed')
    expect([call?.cancelled, events, s.ended.map((e) => e.code)]).to.deep.equal([true, ['cancelled', 'close'], [grpc.status.CANCELLED]])
    expect(call?.write({ more: true })).to.equal(false)
  })
})
