import { expect } from 'chai'
import type * as grpc from '@grpc/grpc-js'
import { ActorSystem, chatRoom, roomDirectory, userAgent, userDirectory } from '../../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../../actors/index.ts'
import { LevelStore, UserAccounts, openLocalJournal } from '../../../node/index.ts'
import { RateLimiter, SubscribeEncoder, chatGateway, chatServiceHandlers, startGrpcServer } from '../../../node/grpc/index.ts'
import { loadAgentService, loadChatService, loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { NodeClient } from '../../../cli/node-client.ts'
import { QUIET, ScriptedInference } from '../../helpers/grpc-services.ts'
import { TransferCalls } from '../../../node/grpc/transfer-calls.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('TransferCalls (real gRPC, real LevelDB)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let server: grpc.Server
  let client: NodeClient
  let token = ''

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    for (const type of [chatRoom, roomDirectory, userDirectory] as const) system.registerEntity(type as never)
    const users = new UserAccounts(system)
    token = (await users.add('ann')).token
    const { service, encoder } = SubscribeEncoder.install(loadChatService().service)
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [{
      service,
      handlers: chatServiceHandlers({
        system, users, gateway: system.spawn(chatGateway(), { name: 'chat-gateway' }), limiter: new RateLimiter({ rate: 100, burst: 100 }),
        maxMessageBytes: 1000, streamBuffer: 100, retryTypes: loadRetryInfoTypes(), encoder, log: QUIET, accepting: () => true
      })
    }])
    server = started.server
    client = new NodeClient(`127.0.0.1:${started.address.port}`, token)
  })
  afterEach(async () => {
    client.close()
    server.forceShutdown()
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const exported = async (request: object): Promise<{ text: string, pieces: Array<{ records: number, done: number }> }> => {
    let text = ''
    const pieces: Array<{ records: number, done: number }> = []
    for await (const piece of client.stream('Export', request) as AsyncIterable<{ data: Uint8Array, records: number, done: number }>) {
      text += Buffer.from(piece.data).toString('utf8')
      pieces.push({ records: piece.records, done: piece.done })
    }
    return { text, pieces }
  }
  const importText = async (first: object, text: string): Promise<Record<string, unknown>> => {
    const { stream, reply } = client.upload<Record<string, unknown>>('Import')
    const bytes = Buffer.from(text)
    // in two chunks: the first names the target, the next goes on
    stream.write({ ...first, data: bytes.subarray(0, 10) })
    stream.write({ data: bytes.subarray(10) })
    stream.end()
    return await reply
  }

  it('should stream a room\'s export with its record count first, and import it into another room once', async () => {
    for (const text of ['x', 'y']) await system.entity(chatRoom, 'src').ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text, replyTo }))
    const { text, pieces } = await exported({ room: 'src', format: 'ndjson' })
    expect(pieces[0]).to.deep.equal({ records: 2, done: 2 })
    expect(text.trim().split('\n')).to.have.length(3)
    const dry = await importText({ room: 'dst', dryRun: true }, text)
    expect(dry).to.deep.include({ dryRun: true, added: 2, firstSeq: 1, lastSeq: 2, kind: 'room', name: 'dst' })
    expect(await importText({ room: 'dst' }, text)).to.deep.include({ added: 2, skipped: 0 })
    expect(await importText({ room: 'dst' }, text)).to.deep.include({ added: 0, skipped: 2, firstSeq: 0 })
    const history = await system.entity(chatRoom, 'dst').ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }))
    expect(history.map((m) => [m.user, m.text, m.importedFrom?.user])).to.deep.equal([['ann', 'x', 'bob'], ['ann', 'y', 'bob']])
  })

  it('should refuse a bad format, a bad room and a bad record with INVALID_ARGUMENT, and a bad token with UNAUTHENTICATED', async () => {
    const failure = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'none', (e: unknown) => (e as Error).message)
    expect(await failure(exported({ room: 'src', format: 'pdf' }))).to.match(/format: expected one of json, ndjson, md/)
    expect(await failure(exported({ room: 'Bad Room' }))).to.match(/room/)
    expect(await failure(importText({ room: 'dst' }, '{"format":"plexi-export/2"}\n'))).to.match(/header: format: expected "plexi-export\/1"/)
    client.close()
    client = new NodeClient(client.address, 'wrong')
    expect(await failure(exported({ room: 'src' }))).to.match(/token/)
  })

  it('should export and import the caller\'s own agent conversation, and refuse another\'s', async () => {
    system.registerEntity(userAgent({ inference: new ScriptedInference(), sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 8 }, maxTokensLimit: 64 }))
    const users = new UserAccounts(system)
    const transfer = new TransferCalls({ system, users, accepting: () => true }, (_call, err) => ({ code: 3, details: (err as Error).message }))
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [{ service: loadAgentService().service, handlers: { Export: transfer.exportHandler('agent'), Import: transfer.importHandler('agent') } }])
    const agent = new NodeClient(`127.0.0.1:${started.address.port}`, token, loadAgentService())
    try {
      const turns = [
        JSON.stringify({ format: 'plexi-export/1', source: 'x/agent/bob/1', kind: 'agent', name: 'bob', exportedAt: 1, from: 1, to: 2, floor: 1 }),
        JSON.stringify({ seq: 1, kind: 'user-asked', ts: 10, requestId: 'r', text: 'why?' }),
        JSON.stringify({ seq: 2, kind: 'agent-answered', ts: 11, requestId: 'r', text: 'because', model: 'm', stopReason: 'eos' })].join('\n')
      const { stream, reply } = agent.upload<Record<string, unknown>>('Import')
      stream.write({ data: Buffer.from(turns) })
      stream.end()
      expect(await reply).to.deep.include({ kind: 'agent', name: 'ann', added: 2 })
      let text = ''
      for await (const piece of agent.stream('Export', { format: 'ndjson' }) as AsyncIterable<{ data: Uint8Array }>) text += Buffer.from(piece.data).toString()
      expect(text.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind)).to.deep.equal(['agent', 'turns-imported'])
      const other = agent.upload('Import')
      other.stream.write({ user: 'bob', data: Buffer.from(turns) })
      other.stream.end()
      expect(await other.reply.then(() => '', (e: unknown) => (e as Error).message)).to.match(/ann may not import into bob's agent/)
      const denied = await (async () => { for await (const piece of agent.stream('Export', { user: 'bob' })) return piece })().then(() => '', (e: unknown) => (e as Error).message)
      expect(denied).to.match(/ann may not talk to bob's agent/)
    } finally {
      agent.close()
      started.server.forceShutdown()
    }
  })
})
