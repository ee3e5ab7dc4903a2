import { once } from 'node:events'
import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { ActorSystem, chatRoom, roomDirectory, userDirectory } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal, UserAccounts } from '../../../node/index.ts'
import { RateLimiter, SubscribeEncoder, agentServiceHandlers, chatGateway, chatServiceHandlers, clientInterceptor, startGrpcServer } from '../../../node/grpc/index.ts'
import type { AgentAsker } from '../../../node/inference/index.ts'
import { TrustedProxies } from '../../../node/limits/index.ts'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import { decodeRetryStatus, loadAgentService, loadChatService, loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { agentClient, chatClient } from '../../helpers/node-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { NEVER, WatchedLimits } from '../../helpers/watched-limits.ts'

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

describe('clientInterceptor (real gRPC, real LevelDB)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let users: UserAccounts
  let server: grpc.Server | undefined
  let limits: WatchedLimits
  let port = 0
  let token = ''
  const clients: Array<{ close: () => void }> = []
  const retryTypes = loadRetryInfoTypes()
  /** An agent that answers once its asker's signal fires: an Ask stream stays open until then. */
  const asker = {
    ask: async (_user: string, _text: string, handlers: { onStarted?: (id: string) => void, signal?: AbortSignal }) => {
      handlers.onStarted?.('req-1')
      return await new Promise((_resolve, reject) => { handlers.signal?.addEventListener('abort', () => { reject(new Error('cancelled')) }) })
    }
  } as unknown as AgentAsker

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    for (const type of [chatRoom, roomDirectory, userDirectory] as const) system.registerEntity(type as never)
    users = new UserAccounts(system)
    token = (await users.add('ann')).token
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close()
    server?.forceShutdown()
    server = undefined
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  /** A server on every address (`::`: IPv4 clients come as 127.0.0.1, IPv6 ones as ::1) with
   * the chat and agent services behind these limits. */
  async function serve (opts: Partial<ClientLimitsOptions>, proxies?: TrustedProxies): Promise<void> {
    limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 0, streams: 0, ...opts })
    const { service, encoder } = SubscribeEncoder.install(loadChatService().service)
    const started = await startGrpcServer({ host: '::', port: 0 }, [
      {
        service,
        handlers: chatServiceHandlers({
          system, users, gateway: system.spawn(chatGateway(), { name: 'chat-gateway' }), limiter: new RateLimiter({ rate: 1000, burst: 1000 }),
          maxMessageBytes: 100, streamBuffer: 100, retryTypes, encoder, log: quiet, accepting: () => true
        })
      },
      { service: loadAgentService().service, handlers: agentServiceHandlers({ system, users, asker, maxMessageBytes: 100, retryTypes, log: quiet, accepting: () => true }) }
    ], undefined, undefined, [clientInterceptor(limits, retryTypes, proxies)])
    server = started.server
    port = started.address.port
  }
  const chat = (t: string | undefined, host = '127.0.0.1'): ReturnType<typeof chatClient> => {
    const c = chatClient(`${host}:${port}`, t)
    clients.push(c)
    return c
  }
  const failure = async (call: Promise<unknown>): Promise<grpc.ServiceError> => await call.then(() => { throw new Error('expected the call to fail') }, (e: grpc.ServiceError) => e)
  /** Resolves once the stream has sent something (it holds its slot), rejects when it fails. */
  const opened = async (stream: grpc.ClientReadableStream<unknown>): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      stream.once('data', () => { resolve() })
      stream.once('error', reject)
    })
  }
  const refusal = async (stream: grpc.ClientReadableStream<unknown>): Promise<grpc.ServiceError> =>
    await new Promise<grpc.ServiceError>((resolve, reject) => {
      stream.once('data', () => { reject(new Error('expected the stream to be refused')) })
      stream.once('error', resolve)
    })

  it('should count a call through a trusted proxy as from the client its x-forwarded-for metadata names, and no one else\'s', async () => {
    await serve({ rate: NEVER, burst: 1 }, new TrustedProxies(['127.0.0.1']))
    const { Client } = loadChatService()
    const raw = (host: string): grpc.Client & Record<string, (...args: unknown[]) => unknown> => {
      const c = new Client(`${host}:${port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...args: unknown[]) => unknown>
      clients.push(c)
      return c
    }
    const listRooms = async (client: ReturnType<typeof raw>, forwarded: string): Promise<grpc.ServiceError | undefined> => {
      const metadata = new grpc.Metadata()
      metadata.set('authorization', `Bearer ${token}`)
      metadata.set('x-forwarded-for', forwarded)
      return await new Promise((resolve) => {
        (client.ListRooms as (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void) => void)({}, metadata, (err) => { resolve(err ?? undefined) })
      })
    }
    // 127.0.0.1 is the proxy: each client behind it has its own budget
    const viaProxy = raw('127.0.0.1')
    expect(await listRooms(viaProxy, '203.0.113.1')).to.equal(undefined)
    expect(await listRooms(viaProxy, '203.0.113.2')).to.equal(undefined)
    const limited = await listRooms(viaProxy, '198.51.100.7, 203.0.113.1')
    expect(limited?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect(limited?.details).to.include('and 203.0.113.1 is over it')
    // ::1 is no proxy: what it forwards is not believed, it is one client whatever it says
    const direct = raw('[::1]')
    expect(await listRooms(direct, '203.0.113.3')).to.equal(undefined)
    expect((await listRooms(direct, '203.0.113.4'))?.details).to.include('and ::1 is over it')
  })

  it('should refuse calls over an address\'s rate with RESOURCE_EXHAUSTED and retry info, whatever the service, and not another address\'s', async () => {
    await serve({ rate: NEVER, burst: 3 })
    const c = chat(token)
    await c.call('ListRooms', {})
    await c.call('Post', { room: 'r', text: 'x' })
    await failure(chat(undefined).call('ListRooms', {}))   // a refused call counts too
    const limited = await failure(c.call('ListRooms', {}))
    expect(limited.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect(limited.details).to.match(/^rate limit: at most 0.001 requests per second from one address \(bursts of 3\), and 127.0.0.1 is over it; retry in \d+ ms$/)
    const retryAfter = Number(limited.metadata.get('retry-after-ms')[0])
    expect(retryAfter).to.be.greaterThan(900_000)
    expect(decodeRetryStatus(retryTypes, limited.metadata.get('grpc-status-details-bin')[0] as Buffer).retryAfterMs).to.equal(retryAfter)
    const agent = agentClient(`127.0.0.1:${port}`, token)
    clients.push(agent)
    expect((await failure(agent.call('GetSettings', {}))).code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect((await refusal(c.subscribe('r', 0))).code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    // ::1 is another client
    const rooms = await chat(token, '[::1]').call<{ rooms: Array<{ name: string }> }>('ListRooms', {})
    expect(rooms.rooms.map((r) => r.name)).to.deep.equal(['r'])
    expect(limits.stats.refused.grpc.rate).to.equal(3)
  })

  it('should refuse an address\'s calls with a token, a valid one too, after its failed authentications, and not another address\'s', async () => {
    await serve({ authFailures: 2, authFailuresPerSecond: NEVER })
    for (const bad of ['plxu_wrong-1', 'plxu_wrong-2']) {
      expect((await failure(chat(bad).call('ListRooms', {}))).code).to.equal(grpc.status.UNAUTHENTICATED)
    }
    // no token is no attempt: refused as before, and not counted
    expect((await failure(chat(undefined).call('ListRooms', {}))).code).to.equal(grpc.status.UNAUTHENTICATED)
    expect(limits.stats.failedAuthentications.grpc).to.equal(2)
    const refused = await failure(chat(token).call('ListRooms', {}))
    expect(refused.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect(refused.details).to.match(/^too many failed authentications from 127\.0\.0\.1; retry in \d+ s$/)
    expect(Number(refused.metadata.get('retry-after-ms')[0])).to.be.greaterThan(900_000)
    expect((await refusal(chat(token).subscribe('r', 0))).code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    const agent = agentClient(`127.0.0.1:${port}`, token)
    clients.push(agent)
    expect((await refusal(agent.ask('hello'))).details).to.match(/^too many failed authentications from 127\.0\.0\.1/)
    // refused attempts are not failures: the count stays where it was
    expect(limits.stats.failedAuthentications.grpc).to.equal(2)
    expect(limits.stats.refused.grpc['auth-failures']).to.equal(3)
    expect(await chat(token, '[::1]').call('ListRooms', {})).to.deep.equal({ rooms: [], user: 'ann' })
  })

  it('should cap the Subscribe and Ask streams an address holds open, and free a slot when its client cancels', async () => {
    await serve({ streams: 2 })
    const c = chat(token)
    const first = c.subscribe('r', 0)
    await opened(first)
    const agent = agentClient(`127.0.0.1:${port}`, token)
    clients.push(agent)
    const ask = agent.ask('hello')
    await opened(ask)
    const over = await refusal(c.subscribe('r', 0))
    expect([over.code, over.details]).to.deep.equal([grpc.status.RESOURCE_EXHAUSTED, 'at most 2 streams may be open at once from one address on this node, and 127.0.0.1 has 2; close one first'])
    expect((await refusal(agent.ask('again'))).code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    // unary calls hold no slot
    await c.call('ListRooms', {})
    await opened(chat(token, '[::1]').subscribe('r', 0))
    let freed = once(limits.freed, 'freed')
    first.cancel()
    expect(await freed).to.deep.equal(['127.0.0.1'])
    await opened(c.subscribe('r', 0))
    freed = once(limits.freed, 'freed')
    ask.cancel()
    await freed
    expect(limits.streamsOf('127.0.0.1')).to.equal(1)
    expect(limits.stats.refused.grpc.streams).to.equal(2)
  })

  it('should free the slot of a stream the server ended or refused, and of every stream when the server stops', async () => {
    await serve({ streams: 1 })
    // refused after it took its slot (OUT_OF_RANGE from the handler): freed with its status
    await chat(token).call('Post', { room: 'short', text: 'one' })
    const ahead = await refusal(chat(token).subscribe('short', 5))
    expect(ahead.code).to.equal(grpc.status.OUT_OF_RANGE)
    // unauthenticated: freed too
    expect((await refusal(chat(undefined).subscribe('short', 0))).code).to.equal(grpc.status.UNAUTHENTICATED)
    expect(limits.streamsOf('127.0.0.1')).to.equal(0)
    await opened(chat(token).subscribe('short', 0))
    await opened(chat(token, '[::1]').subscribe('short', 0))
    expect(limits.stats.streamsOpen).to.equal(2)
    const bothFreed = new Promise<void>((resolve) => {
      let n = 0
      limits.freed.on('freed', () => { if (++n === 2) resolve() })
    })
    server?.forceShutdown()
    await bothFreed
    expect(limits.stats.streamsOpen).to.equal(0)
  })
})
