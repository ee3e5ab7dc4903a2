import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { ActorSystem, chatRoom, roomDirectory, userDirectory } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal, UserAccounts } from '../../../node/index.ts'
import { RateLimiter, SubscribeEncoder, chatGateway, chatServiceHandlers, startGrpcServer } from '../../../node/grpc/index.ts'
import { checkSearchQuery } from '../../../node/search/index.ts'
import type { SearchQuery, SearchResult, SearchViewer } from '../../../node/search/index.ts'
import { loadChatService, loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { chatClient } from '../../helpers/node-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('Chat Search (real gRPC)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let server: grpc.Server
  let address = ''
  let token = ''
  const asked: Array<[SearchQuery, SearchViewer]> = []
  const result: SearchResult = {
    hits: [{ kind: 'room', name: 'ops', seq: 7, author: 'bob', ts: 1_700_000_000_000, snippet: 'we ship friday', marks: [[3, 4]], score: 2.5 }],
    partial: true,
    missing: [3],
    incomplete: ['n2'],
    failed: [{ node: 'n3', error: 'timed out' }],
    semantic: 'not-asked',
    embedMs: 0
  }

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
        system,
        users,
        gateway: system.spawn(chatGateway(), { name: 'chat-gateway' }),
        limiter: new RateLimiter({ rate: 10, burst: 10 }),
        maxMessageBytes: 100,
        streamBuffer: 100,
        retryTypes: loadRetryInfoTypes(),
        encoder,
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
        accepting: () => true,
        search: { search: async (q, v) => { asked.push([q, v]); return result }, check: checkSearchQuery }
      })
    }])
    server = started.server
    address = `127.0.0.1:${started.address.port}`
  })
  afterEach(async () => {
    server.forceShutdown()
    await system.terminate()
    await store.close()
    await dir.remove()
    asked.length = 0
  })

  it('should search as the caller, reading proto3 defaults as no filter, and say what did not answer', async () => {
    const c = chatClient(address, token)
    try {
      const answer = await c.call('Search', { query: 'ship', rooms: ['ops'], since: 5, mode: 'hybrid' }) as Record<string, unknown>
      expect(asked).to.deep.equal([[{ text: 'ship', mode: 'hybrid', scope: 'all', limit: 20, rooms: ['ops'], since: 5 }, { user: 'ann' }]])
      expect(answer).to.deep.include({ partial: true, missingPartitions: [3], incompleteNodes: ['n2'], semantic: 'not-asked', failed: [{ node: 'n3', error: 'timed out' }] })
      expect(answer.hits).to.deep.equal([{ kind: 'room', name: 'ops', seq: 7, author: 'bob', ts: 1_700_000_000_000, snippet: 'we ship friday', marks: [{ start: 3, length: 4 }], score: 2.5 }])
    } finally {
      c.close()
    }
  })

  it('should refuse a bad query with INVALID_ARGUMENT naming the field', async () => {
    const c = chatClient(address, token)
    try {
      for (const [req, why] of [
        [{ query: '' }, /^search text: expected 1-512 characters/],
        [{ query: 'x', rooms: ['Bad Room'] }, /^search rooms: expected room names/],
        [{ query: 'x', since: 10, until: 5 }, /^search: since \(10\) is after until \(5\)/],
        [{ query: 'x', limit: 101 }, /^search limit: expected an integer from 1 to 100/],
        [{ query: 'x', mode: 'fuzzy' }, /^search mode: expected one of text, semantic, hybrid/]
      ] as const) {
        const err = await c.call('Search', req).then(() => { throw new Error('answered') }, (e: grpc.ServiceError) => e)
        expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT)
        expect(err.details).to.match(why)
      }
      expect(asked).to.deep.equal([])
    } finally {
      c.close()
    }
  })
})
