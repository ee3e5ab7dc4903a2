/**
 * The baselines of `npm run bench -- scale`, run as a process of their own (as a node is), doing
 * what a node does for a request answered from memory and nothing more:
 * - HTTP: a bare Fastify with one GET route (`/bare`) behind the same bearer check as the admin
 *   API's (the token compared whole, in constant time: tokenMatcher), answering a small JSON object,
 *   and `/bare-bytes?n=N` answering N bytes of text made once (the floor of a large answer);
 * - gRPC: the Agent service of agent.proto whose GetSettings, History and Tools answer constants,
 *   behind the same check as the node's gateway (the bearer token's SHA-256 looked up among the
 *   users' token hashes, in a Map).
 *
 * `node bench/scale-bare.ts CONFIG` (a JSON file: `{ adminToken, tokenHashes: [hex] }`) prints
 * `listening HTTP_PORT GRPC_PORT` on stdout once both listen on 127.0.0.1.
 */
import { readFile } from 'node:fs/promises'
import * as grpc from '@grpc/grpc-js'
import Fastify from 'fastify'
import { loadAgentService } from '../protocols/grpc/index.ts'
import { hashToken, tokenMatcher } from '../node/identity/index.ts'

const configFile = process.argv[2]
if (configFile === undefined) {
  process.stderr.write('usage: node bench/scale-bare.ts CONFIG.json\n')
  process.exit(2)
}
const config = JSON.parse(await readFile(configFile, 'utf8')) as { adminToken: string, tokenHashes: string[] }

const isAdminToken = tokenMatcher(config.adminToken)
const app = Fastify({ logger: false })
app.addHook('onRequest', async (request, reply) => {
  const header = request.headers.authorization
  if (typeof header !== 'string' || !header.startsWith('Bearer ') || !isAdminToken(header.slice(7).trim())) {
    return await reply.code(401).send({ error: 'UNAUTHORIZED' })
  }
})
const body = { self: 'bare', members: [{ peerId: 'bare', roles: ['all'], status: 'up' }] }
app.get('/bare', async () => body)
// the floor for a route whose answer is large (/metrics: tens of KB): n bytes of text, made once
const sized = new Map<number, Buffer>()
app.get<{ Querystring: { n?: string } }>('/bare-bytes', async (request, reply) => {
  const n = Math.min(Math.max(Number(request.query.n ?? 0) | 0, 1), 10_000_000)
  let bytes = sized.get(n)
  if (bytes === undefined) sized.set(n, bytes = Buffer.alloc(n, 'plexi_bare_total 1\n'))
  return await reply.type('text/plain; version=0.0.4; charset=utf-8').send(bytes)
})
await app.listen({ host: '127.0.0.1', port: 0 })
const httpAddress = app.server.address()

const users = new Map(config.tokenHashes.map((h, i) => [h, `user${i}`]))
type Unary = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void
const answering = (answer: unknown): Unary => (call, callback) => {
  const header = call.metadata.get('authorization')[0]
  const user = typeof header === 'string' && header.startsWith('Bearer ') ? users.get(hashToken(header.slice(7).trim())) : undefined
  if (user === undefined) {
    callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or unknown token' })
    return
  }
  callback(null, answer)
}
const server = new grpc.Server()
server.addService(loadAgentService().service, {
  GetSettings: answering({ persona: '', model: '', sampling: { temperature: 0.7, topP: 0.95, topK: 40, maxTokens: 256 } }),
  History: answering({ turns: [] }),
  Tools: answering({ granted: [], enabled: [], disabled: [], tools: [] })
})
const grpcPort = await new Promise<number>((resolve, reject) => {
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => { if (err !== null) reject(err); else resolve(port) })
})

process.stdout.write(`listening ${typeof httpAddress === 'object' && httpAddress !== null ? httpAddress.port : 0} ${grpcPort}\n`)
process.on('SIGTERM', () => {
  server.forceShutdown()
  void app.close().then(() => process.exit(0))
})
