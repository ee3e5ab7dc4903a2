/**
 * The floor under `npm run bench -- web`'s unary figures, run as a process of its own (as the node
 * is): the Chat service's History answered with one constant message, over gRPC (a bare grpc-js
 * server) and over gRPC-Web (a bare node:http server writing the constant message frame and an OK
 * trailers frame), no Plexi in either path. The bench calls both with the clients it calls the node
 * with (grpc-js; fetch over HTTP/1.1): the ratio of the two is what the transports and their clients
 * cost apart from any server's work.
 *
 * `node bench/web-unary-bare.ts` prints `listening GRPC_PORT WEB_PORT` once both listen on 127.0.0.1.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { loadNodeServices } from '../protocols/grpc/index.ts'
import { frame } from '../test/helpers/grpc-web-client.ts'

type Method = grpc.MethodDefinition<unknown, unknown>
const { chat } = loadNodeServices()
const history = chat.History as Method
const answer = { messages: [{ room: 'bench-post', seq: 1, user: 'bench', text: 'hello', ts: Date.now(), kind: 'MESSAGE' }], retainedFrom: 1 }

const server = new grpc.Server()
server.addService({ History: history }, { History: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => { callback(null, answer) } })
const grpcPort = await new Promise<number>((resolve, reject) => {
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => { if (err !== null) reject(err); else resolve(port) })
})

const body = Buffer.concat([frame(0, history.responseSerialize(answer)), frame(0x80, Buffer.from('grpc-status:0\r\ngrpc-message:\r\n'))])
const web = createServer({ noDelay: true }, (req, res) => {
  req.resume()
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== history.path) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': 'application/grpc-web+proto' }).end(body)
  })
})
await new Promise<void>((resolve) => { web.listen(0, '127.0.0.1', resolve) })
process.stdout.write(`listening ${grpcPort} ${(web.address() as AddressInfo).port}\n`)
process.on('SIGTERM', () => {
  server.forceShutdown()
  web.closeAllConnections()
  web.close(() => process.exit(0))
})
