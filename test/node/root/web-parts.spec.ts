import { expect } from 'chai'
import { connect } from 'node:http2'
import * as grpc from '@grpc/grpc-js'
import { startReadiness } from '../../../node/root/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'
import { GrpcWebClient } from '../../helpers/grpc-web-client.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { fetchTrusting, makeTlsPair } from '../../helpers/tls-pair.ts'

describe('webPart', () => {
  let node: StartedParts | undefined
  afterEach(async () => { node?.c.get('state').drain(); await node?.stop(); node = undefined })

  it('should serve gRPC-Web through the gRPC server\'s handlers and the page, and name its URL in the ready line, when web-listen is set', async () => {
    node = await startPartsUpTo('openai')
    const { c } = node
    const web = c.get('web')
    expect(web?.address.port).to.be.greaterThan(0)
    const client = new GrpcWebClient(`http://127.0.0.1:${web?.address.port ?? 0}`)
    const ann = (await c.get('users').add('ann')).token
    // the same readiness as gRPC: not serving until the node is ready
    expect((await client.call('/plexi.chat.v1.Chat/ListRooms', {}, { token: ann })).code).to.equal(grpc.status.UNAVAILABLE)
    startReadiness(c)
    expect((await client.call('/plexi.chat.v1.Chat/Post', { room: 'general', text: 'hi' }, { token: ann })).code).to.equal(0)
    expect(node.lines.map((l) => l.msg).find((m) => m.startsWith('node ready:'))).to.include(`chat page and gRPC-Web on http://127.0.0.1:${web?.address.port ?? 0}/`)
    const metrics = await c.get('metrics').registry.metrics()
    expect(metrics).to.contain('plexi_web_calls_total{method="/plexi.chat.v1.Chat/Post",code="0"} 1')
    expect(metrics).to.contain('plexi_web_calls_total{method="/plexi.chat.v1.Chat/ListRooms",code="14"} 1')
    expect((await fetch(`http://127.0.0.1:${web?.address.port ?? 0}/`)).status).to.equal(200)
  })

  it('should name its web origin in its member record and answer Nodes with it and its gRPC address through the gRPC server\'s own handler', async () => {
    node = await startPartsUpTo('openai')
    const { c } = node
    const origin = `http://127.0.0.1:${c.get('web')?.address.port ?? 0}`
    expect(c.get('web')?.origin).to.equal(origin)
    expect(c.get('self').member().addresses.web).to.equal(origin)
    startReadiness(c)
    const ann = (await c.get('users').add('ann')).token
    const client = new GrpcWebClient(origin)
    const answer = await client.call('/plexi.chat.v1.Chat/Nodes', {}, { token: ann })
    expect([answer.code, answer.messages]).to.deep.equal([0, [{ nodes: [{ web: origin, grpc: `127.0.0.1:${c.get('grpc').address.port}`, self: true }] }]])
    // authenticated like every call
    expect((await client.call('/plexi.chat.v1.Chat/Nodes', {}, { token: 'not-a-token' })).code).to.equal(grpc.status.UNAUTHENTICATED)
  })

  it('should advertise web-advertise as its origin, when set', async () => {
    node = await startPartsUpTo('web', { flags: { 'web-advertise': 'https://chat1.example.com' } })
    expect(node.c.get('self').member().addresses.web).to.equal('https://chat1.example.com')
  })

  it('should start no user listener when web-listen is off', async () => {
    node = await startPartsUpTo('web', { flags: { 'web-listen': 'off' } })
    expect(node.c.get('web')).to.equal(undefined)
    expect(node.lifecycle.started.at(-1)).to.equal('grpc')
  })

  it('should serve HTTPS only, with the node\'s certificate, over HTTP/2 and HTTP/1.1, when TLS is on', async () => {
    const dir = await tempDir()
    after(async () => { await dir.remove() })
    const pair = await makeTlsPair(dir.path)
    node = await startPartsUpTo('web', { flags: { 'tls-cert': pair.certFile, 'tls-key': pair.keyFile } })
    const port = node.c.get('web')?.address.port ?? 0
    const page = await fetchTrusting(pair.ca)(`https://localhost:${port}/`)
    expect(page.status).to.equal(200)
    expect(await fetch(`http://127.0.0.1:${port}/`).then(() => 'answered', () => 'refused')).to.equal('refused')
    // HTTP/2 beside HTTP/1.1 (ALPN): a gRPC-Web call answered on an HTTP/2 stream, its status in the trailers frame
    const session = connect(`https://localhost:${port}`, { ca: pair.ca })
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/plexi.chat.v1.Chat/ListRooms', 'content-type': 'application/grpc-web+proto' })
      stream.end(Buffer.alloc(5))
      const chunks: Buffer[] = []
      const status = await new Promise<number>((resolve) => { stream.on('response', (headers) => { resolve(Number(headers[':status'])) }) })
      for await (const chunk of stream) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks)
      expect([status, body[0], body.subarray(5).toString()]).to.deep.equal([200, 0x80, 'grpc-status:14\r\ngrpc-message:node is not serving (starting or shutting down); retry, or connect to another node\r\n'])
    } finally {
      session.close()
    }
  })
})
