import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { readdir } from 'node:fs/promises'
import { decodeRetryStatus, loadRetryInfoTypes } from '../../protocols/grpc/index.ts'
import { chatClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

type Client = ReturnType<typeof chatClient>
interface Ack { room: string, seq: number, ts: number }
interface Received { seq: number, user: string, text: string, kind: string }

/** Collects a subscription's messages; `live` says when history was caught up. */
function follow (client: Client, room: string, after: number): { messages: Received[], live: () => boolean, error: () => grpc.ServiceError | undefined, cancel: () => void } {
  const messages: Received[] = []
  let live = false
  let error: grpc.ServiceError | undefined
  const stream = client.subscribe(room, after)
  stream.on('data', (event) => {
    if (event.message !== undefined && event.message !== null) messages.push(event.message)
    else if (event.live !== undefined && event.live !== null) live = true
  })
  stream.on('error', (err: grpc.ServiceError) => { error = err })
  return { messages, live: () => live, error: () => error, cancel: () => { stream.cancel() } }
}


const seqs = (messages: Received[]): number[] => messages.map((m) => m.seq)
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('single node (real processes on loopback)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  let admin: (args: string[]) => ReturnType<typeof runCli>
  let tokens: { alice: string, bob: string }

  before(async () => {
    dir = await tempDir()
    node = await startNodeProcess(dir.path)
    admin = (args) => runCli(['admin', ...args, '--admin-addr', node.admin, '--data-dir', dir.path])
    const alice = await admin(['users', 'add', 'alice', '--json'])
    const bob = await admin(['users', 'add', 'bob', '--json'])
    expect(alice.code, alice.stderr).to.equal(0)
    tokens = { alice: JSON.parse(alice.stdout).token, bob: JSON.parse(bob.stdout).token }
  })
  after(async () => {
    await node?.stop()
    await dir.remove()
  })

  describe('through the CLI', () => {
    const chat = (args: string[]) => runCli(['chat', ...args, '--addr', node.grpc, '--data-dir', dir.path])

    it('should let two users chat and read the history in order with sequence numbers', async () => {
      const sent = await chat(['send', '--user', 'bob', '--room', 'cli-room', 'hi'])
      expect(sent.code, sent.stderr).to.equal(0)
      expect(sent.stdout).to.match(/sent to cli-room as #1 at /)
      const ack = await chat(['send', '--user', 'alice', '--room', 'cli-room', 'hello bob', '--json'])
      const parsed = JSON.parse(ack.stdout) as Ack
      expect(parsed).to.include({ room: 'cli-room', seq: 2 })
      expect(parsed.ts).to.be.a('number')
      const history = await chat(['history', '--room', 'cli-room', '--user', 'alice', '--json'])
      expect(history.code, history.stderr).to.equal(0)
      const entries = JSON.parse(history.stdout) as Array<{ seq: number, user: string, text: string, ts: number }>
      expect(entries.map((e) => [e.seq, e.user, e.text])).to.deep.equal([[1, 'bob', 'hi'], [2, 'alice', 'hello bob']])
      expect(Object.keys(entries[0] ?? {})).to.include.members(['seq', 'user', 'text', 'ts'])
    })

    it('should run the interactive client: history, then live, posting each typed line', async () => {
      await chat(['send', '--user', 'bob', '--room', 'interactive', 'before you came'])
      const session = await runCli(['chat', '--user', 'alice', '--room', 'interactive', '--addr', node.grpc, '--data-dir', dir.path],
        { input: 'first line\n/members\nsecond line\n' })
      expect(session.code, session.stderr).to.equal(0)
      expect(session.stdout).to.match(/#1 \S+ bob: before you came/)
      expect(session.stdout).to.match(/#2 \S+ \* alice joined/)
      expect(session.stdout).to.match(/--- members of interactive: alice ---/)
      const history = JSON.parse((await chat(['history', '--room', 'interactive', '--user', 'bob', '--json'])).stdout) as Array<{ text: string, kind: string }>
      expect(history.map((e) => `${e.kind}:${e.text}`)).to.deep.equal(['message:before you came', 'join:', 'message:first line', 'message:second line'])
    })

    it('should have generated the test model on first start (ai role), and list it', async () => {
      const models = JSON.parse((await admin(['models', 'ls', '--json'])).stdout) as Array<{ name: string, status: string, quantization: string, loaded: string[] }>
      expect(models).to.deep.include({ name: 'plexi-tiny-f16', sizeBytes: 7_097_120, runtime: 'llama.cpp', status: 'ready', architecture: 'llama', quantization: 'F16', parameters: 3_542_784, contextLength: 2048, loaded: [] })
      expect(node.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('no model in'))).to.equal(true)
      const table = await admin(['models'])
      expect(table.stdout).to.match(/plexi-tiny-f16\s+llama\s+F16\s+3\.5M/)
      // the backend, found and logged at start (not at the first load), as the API and the CLI show it
      const logged = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('inference backend: '))
      expect(logged, 'the backend logged at start').to.not.equal(undefined)
      const backend = JSON.parse((await admin(['models', 'backend', '--json'])).stdout) as { gpu: string, backend: string, devices: string[], reason?: string }
      expect(backend.gpu).to.equal('auto')
      expect(['cpu', 'cuda', 'vulkan']).to.include(backend.backend)
      expect(logged?.msg).to.match(new RegExp(`^inference backend: ${backend.backend} \\(`))
      if (backend.backend === 'cpu') expect(backend.reason).to.match(/CUDA/)
      expect(table.stdout).to.match(new RegExp(`\ninference backend on this node: ${backend.backend} \\(`))
    })

    it('should show the cluster, actors and users as JSON of the documented shapes', async () => {
      const cluster = JSON.parse((await admin(['cluster', '--json'])).stdout)
      expect(cluster.self).to.include.keys('peerId', 'roles', 'status', 'addresses', 'load')
      expect(cluster.self.status).to.equal('up')
      expect(cluster.self.roles).to.deep.equal(['chat', 'ai', 'storage', 'backup', 'plugins'])
      expect(cluster.self.addresses).to.deep.include({ grpc: node.grpc, admin: node.admin })
      expect(cluster.self.addresses.p2p).to.be.an('array')
      expect(cluster.members).to.deep.equal([cluster.self])
      expect(JSON.parse((await admin(['nodes', '--json'])).stdout)).to.have.length(1)
      const actors = JSON.parse((await admin(['actors', '--type', 'room', '--json'])).stdout) as Array<{ kind: string, key: string }>
      expect(actors.map((a) => a.key)).to.include('cli-room')
      expect(actors.every((a) => a.kind === 'room')).to.equal(true)
      const users = JSON.parse((await admin(['users', 'ls', '--json'])).stdout) as Array<{ name: string }>
      expect(users.map((u) => u.name)).to.include.members(['alice', 'bob'])
    })

    it('should exit 2 on usage errors and 1 on runtime errors, with a clear message', async () => {
      const usage = await chat(['send', '--room', 'Bad Room', '--user', 'alice', 'x'])
      expect(usage.code).to.equal(2)
      expect(usage.stderr).to.match(/--room: "Bad Room" is not a room name/)
      const unknown = await runCli(['chat', 'shout', '--room', 'x'])
      expect(unknown.code).to.equal(2)
      const refused = await runCli(['chat', 'send', 'x', '--room', 'r', '--token', 'plxu_nope', '--addr', node.grpc])
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.match(/UNAUTHENTICATED: invalid or revoked token/)
      const noToken = await runCli(['admin', 'users', 'ls', '--admin-addr', node.admin, '--data-dir', `${dir.path}/nowhere`])
      expect(noToken.code).to.equal(2)
      expect(noToken.stderr).to.match(/no admin token/)
      const help = await runCli(['chat', 'history', '--help'])
      expect(help.code).to.equal(0)
      expect(help.stdout).to.match(/--after <seq>/)
    })
  })

  describe('through gRPC', () => {
    let alice: Client
    let bob: Client
    before(() => {
      alice = chatClient(node.grpc, tokens.alice)
      bob = chatClient(node.grpc, tokens.bob)
    })
    after(() => {
      alice.close()
      bob.close()
    })

    it('should deliver every post to a subscriber in the order of its acknowledged seqs', async () => {
      const feed = follow(alice, 'ordered', 0)
      await waitFor(feed.live, 'the subscription to go live')
      const acks = await Promise.all(range(1, 60).map((i) => (i % 2 === 0 ? bob : alice).call<Ack>('Post', { room: 'ordered', text: `m${i}` })))
      expect([...acks.map((a) => a.seq)].sort((a, b) => a - b)).to.deep.equal(range(1, 60))
      await waitFor(() => feed.messages.length === 60, 'all 60 messages')
      expect(seqs(feed.messages)).to.deep.equal(range(1, 60))
      for (const ack of acks) expect(feed.messages[ack.seq - 1]?.text).to.equal(`m${acks.indexOf(ack) + 1}`)
      feed.cancel()
    })

    it('should have no gap and no duplicate at the seam between history and live', async () => {
      let posting = true
      let posted = 0
      const poster = (async () => {
        while (posting && posted < 400) {
          await bob.call<Ack>('Post', { room: 'seam', text: `n${posted}` })
          posted++
        }
      })()
      await waitFor(() => posted >= 30, 'some history')
      const feed = follow(alice, 'seam', 0)        // subscribes while posts keep coming
      await waitFor(feed.live, 'the subscription to go live')
      await waitFor(() => posted >= 60, 'more posts after going live')
      posting = false
      await poster
      await waitFor(() => feed.messages.length === posted, `all ${posted} messages`)
      expect(seqs(feed.messages)).to.deep.equal(range(1, posted))
      feed.cancel()
    })

    it('should resume after a disconnect with subscribe(after = last seq) and miss nothing', async () => {
      for (let i = 1; i <= 5; i++) await bob.call('Post', { room: 'resume', text: `a${i}` })
      const first = follow(alice, 'resume', 0)
      await waitFor(() => first.messages.length === 5, 'the first five')
      first.cancel()
      const last = first.messages.at(-1)?.seq ?? 0
      for (let i = 6; i <= 9; i++) await bob.call('Post', { room: 'resume', text: `a${i}` })
      const second = follow(alice, 'resume', last)
      await waitFor(second.live, 'the resumed stream to go live')
      await bob.call('Post', { room: 'resume', text: 'a10' })
      await waitFor(() => second.messages.length === 5, 'the rest')
      expect([...seqs(first.messages), ...seqs(second.messages)]).to.deep.equal(range(1, 10))
      second.cancel()
    })

    it('should answer a post retried with the same client_id with the first ack (same seq and ts), storing it once; ids are per user', async () => {
      const first = await alice.call<Ack>('Post', { room: 'retries', text: 'did it arrive?', clientId: '6a1f3c2e-retry' })
      const retried = await Promise.all([1, 2, 3].map(() => alice.call<Ack>('Post', { room: 'retries', text: 'did it arrive?', clientId: '6a1f3c2e-retry' })))
      expect(retried).to.deep.equal([first, first, first])
      // bob's post with the same id is his own
      const bobs = await bob.call<Ack>('Post', { room: 'retries', text: 'mine', clientId: '6a1f3c2e-retry' })
      expect(bobs.seq).to.equal(first.seq + 1)
      const { messages } = await alice.call<{ messages: Array<Received & { clientId: string }> }>('History', { room: 'retries', after: 0, limit: 0 })
      expect(messages.map((m) => [m.seq, m.user, m.clientId])).to.deep.equal([[1, 'alice', '6a1f3c2e-retry'], [2, 'bob', '6a1f3c2e-retry']])
    })

    it('should answer history, rooms and membership', async () => {
      await alice.call('Join', { room: 'club' })
      await bob.call('Join', { room: 'club' })
      const members = await alice.call<{ members: string[] }>('Members', { room: 'club' })
      expect(members.members).to.deep.equal(['alice', 'bob'])
      await bob.call('Leave', { room: 'club' })
      const history = await alice.call<{ messages: Received[] }>('History', { room: 'club', after: 0, limit: 0 })
      expect(history.messages.map((m) => `${m.kind}:${m.user}`)).to.deep.equal(['JOIN:alice', 'JOIN:bob', 'LEAVE:bob'])
      const rooms = await alice.call<{ rooms: Array<{ name: string }> }>('ListRooms', {})
      expect(rooms.rooms.map((r) => r.name)).to.include.members(['club', 'ordered', 'seam'])
    })

    it('should refuse to resume after a seq the room never had, and cap the streams one user holds open', async () => {
      await bob.call('Post', { room: 'short', text: 'only one' })
      const ahead = follow(alice, 'short', 5)
      await waitFor(() => ahead.error() !== undefined, 'the refusal')
      expect(ahead.error()?.code).to.equal(grpc.status.OUT_OF_RANGE)
      expect(ahead.error()?.details).to.match(/after: 5 is beyond the last seq of room short \(1\); subscribe with after <= 1/)
      const erin = chatClient(node.grpc, JSON.parse((await admin(['users', 'add', 'erin', '--json', '--no-save'])).stdout).token)
      const feeds = range(1, 64).map((i) => follow(erin, `many-${i % 4}`, 0))
      try {
        await waitFor(() => feeds.every((f) => f.live()), '64 streams')
        const extra = follow(erin, 'many-0', 0)
        await waitFor(() => extra.error() !== undefined, 'the 65th stream to be refused')
        expect(extra.error()?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
        expect(extra.error()?.details).to.match(/at most 64 open Subscribe streams per user/)
        feeds[0]?.cancel()
        await waitFor(async () => {
          const again = follow(erin, 'many-1', 0)
          await waitFor(() => again.live() || again.error() !== undefined, 'an answer')
          again.cancel()
          return again.live()
        }, 'a stream slot to free up')
      } finally {
        for (const feed of feeds) feed.cancel()
        erin.close()
      }
    })

    it('should refuse a missing or bad token with UNAUTHENTICATED on every call', async () => {
      for (const token of [undefined, 'plxu_not-a-real-token', 'x'.repeat(10_000)]) {
        const stranger = chatClient(node.grpc, token)
        try {
          for (const [method, request] of [['Post', { room: 'r', text: 'x' }], ['History', { room: 'r', after: 0, limit: 1 }], ['ListRooms', {}]] as const) {
            const err = await stranger.call(method, request).then(() => null, (e: grpc.ServiceError) => e)
            expect(err?.code, `${method} with ${String(token).slice(0, 12)}`).to.equal(grpc.status.UNAUTHENTICATED)
          }
          const feed = follow(stranger, 'r', 0)
          await waitFor(() => feed.error() !== undefined, 'the stream to be refused')
          expect(feed.error()?.code).to.equal(grpc.status.UNAUTHENTICATED)
        } finally {
          stranger.close()
        }
      }
    })

    it('should refuse oversized text, empty text, bad room names and bad limits with INVALID_ARGUMENT naming the field', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        ['Post', { room: 'r', text: 'x'.repeat(16_385) }, /text: 16385 bytes is over the limit of 16384 bytes/],
        ['Post', { room: 'r', text: 'é'.repeat(8_193) }, /text: 16386 bytes/],
        ['Post', { room: 'r', text: '' }, /text: must not be empty/],
        ['Post', { room: 'Bad Room!', text: 'x' }, /room: "Bad Room!" is not a room name/],
        ['Post', { room: '', text: 'x' }, /room: "" is not a room name/],
        ['Post', { room: 'r', text: 'x', clientId: 'x'.repeat(65) }, /client_id: "x{65}" is not a client id/],
        ['Post', { room: 'r', text: 'x', clientId: 'tab\there' }, /client_id: "tab\\there" is not a client id/],
        ['History', { room: 'r', after: 0, limit: 5000 }, /limit: must be 1 to 1000/],
        ['Join', { room: '../etc' }, /room: /]
      ]
      // a huge value is named, not echoed: the error still fits in HTTP/2's headers
      const huge = 'r'.repeat(200_000)
      for (const method of ['Post', 'History', 'Join', 'Leave', 'Members']) {
        cases.push([method, { room: huge, text: 'x', after: 0, limit: 10 }, /^room: "r{10,}…/])
      }
      cases.push(['Post', { room: 'r', text: 'x', clientId: huge }, /^client_id: "r{10,}…/])
      for (const [method, request, message] of cases) {
        const err = await alice.call(method, request).then(() => null, (e: grpc.ServiceError) => e)
        expect(err?.code, `${method} ${String(message)}`).to.equal(grpc.status.INVALID_ARGUMENT)
        expect(err?.details).to.match(message)
        expect(err?.details.length, String(message)).to.be.below(1000)
      }
      const history = await alice.call<{ messages: unknown[] }>('History', { room: 'r', after: 0, limit: 10 })
      expect(history.messages).to.deep.equal([])
    })
  })

  describe('admin endpoint', () => {
    const url = (path: string) => `http://${node.admin}${path}`
    const auth = () => ({ authorization: `Bearer ${node.adminToken}` })

    it('should refuse /api/v1 without the admin token (401), and serve probes and OpenAPI without it', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-of-some-length' }, { authorization: node.adminToken }]) {
        const res = await fetch(url('/api/v1/users'), { headers })
        expect(res.status).to.equal(401)
        expect(((await res.json()) as { code: string }).code).to.equal('UNAUTHORIZED')
      }
      expect((await fetch(url('/livez'))).status).to.equal(200)
      expect(await (await fetch(url('/readyz'))).json()).to.deep.equal({ status: 'ready' })
      const openapi = await (await fetch(url('/docs/json'))).json() as { openapi: string, paths: Record<string, unknown> }
      expect(openapi.openapi).to.match(/^3\./)
      expect(openapi.paths).to.include.keys('/api/v1/users', '/api/v1/cluster')
      expect((await fetch(url('/docs'))).status).to.be.oneOf([200, 302])
    })

    it('should refuse bad input with 400 naming the field, and keep users unchanged', async () => {
      const post = (body: unknown) => fetch(url('/api/v1/users'), { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const cases: Array<[unknown, RegExp]> = [
        [{ name: 'Bad Name' }, /body\/name must match pattern/],
        [{}, /body must have required property 'name'/],
        [{ name: 'carol', admin: true }, /body must NOT have additional properties/],
        [{ name: 42 }, /body\/name must be string/]
      ]
      for (const [body, message] of cases) {
        const res = await post(body)
        expect(res.status, String(message)).to.equal(400)
        expect(((await res.json()) as { message: string }).message).to.match(message)
      }
      expect((await post({ name: 'alice' })).status).to.equal(409)
      const badKey = await fetch(url('/api/v1/actors/room/bell%07key'), { headers: auth() })
      expect(badKey.status).to.equal(400)
      expect(((await badKey.json()) as { message: string }).message).to.match(/invalid entity key/)
      expect((await fetch(url('/api/v1/actors/nope/x'), { headers: auth() })).status).to.equal(404)
      const users = await (await fetch(url('/api/v1/users'), { headers: auth() })).json() as Array<{ name: string }>
      expect(users.map((u) => u.name)).not.to.include('carol')
    })

    it('should report one entity and the rooms', async () => {
      const entity = await (await fetch(url('/api/v1/actors/room/ordered'), { headers: auth() })).json() as Record<string, unknown>
      expect(entity).to.include({ type: 'room', key: 'ordered', seq: 60, active: true, role: 'chat' })
      const rooms = await (await fetch(url('/api/v1/rooms'), { headers: auth() })).json() as Array<{ name: string, active: boolean }>
      expect(rooms.find((r) => r.name === 'ordered')).to.include({ active: true })
      expect((await fetch(url('/api/v1/actors/room/never-used'), { headers: auth() })).status).to.equal(404)
    })

    it('should revoke a removed user\'s token at once', async () => {
      const created = JSON.parse((await admin(['users', 'add', 'dave', '--json', '--no-save'])).stdout) as { token: string }
      const dave = chatClient(node.grpc, created.token)
      try {
        await dave.call('Post', { room: 'r2', text: 'still here' })
        const removed = await admin(['users', 'rm', 'dave'])
        expect(removed.code, removed.stderr).to.equal(0)
        const err = await dave.call('Post', { room: 'r2', text: 'gone' }).then(() => null, (e: grpc.ServiceError) => e)
        expect(err?.code).to.equal(grpc.status.UNAUTHENTICATED)
        expect((await admin(['users', 'rm', 'dave'])).code).to.equal(1)
      } finally {
        dave.close()
      }
    })

    it('should expose metrics with the plexi_ prefix that change as the node works', async () => {
      const scrape = async (): Promise<string> => await (await fetch(url('/metrics'))).text()
      const value = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
      const before = await scrape()
      for (const name of ['plexi_chat_messages_total', 'plexi_messages_processed_total', 'plexi_journal_appends_total', 'plexi_grpc_streams_open']) {
        expect(value(before, name), name).to.be.a('number').and.not.NaN
      }
      expect(before).to.match(/^plexi_actors\{kind="room"\} \d+$/m)
      expect(before).to.match(/^plexi_ask_duration_seconds_bucket\{le="0.001",outcome="ok"\} \d+$/m)
      expect(before).to.match(/^plexi_mailbox_messages\{kind="room"\} \d+$/m)
      expect(before).to.match(/^plexi_messages_dropped_total\{reason="mailbox_full"\} \d+$/m)
      expect(before).not.to.match(/^(?!plexi_|#)\w+/m)
      // a lone node (no cluster key) exports the mesh series too, at zero
      for (const name of ['plexi_mesh_writes_total', 'plexi_mesh_frames_sent_total', 'plexi_mesh_envelopes_received_total', 'plexi_mesh_forwarded_total', 'plexi_mesh_frames_refused_total', 'plexi_mesh_queued_bytes']) {
        expect(value(before, name), name).to.equal(0)
      }
      const client = chatClient(node.grpc, tokens.bob)
      try {
        await client.call('Post', { room: 'metrics', text: 'one' })
        await client.call('Post', { room: 'metrics', text: 'two' })
        const feed = follow(client, 'metrics', 0)
        await waitFor(feed.live, 'the stream')
        const after = await scrape()
        expect(value(after, 'plexi_chat_messages_total') - value(before, 'plexi_chat_messages_total')).to.equal(2)
        expect(value(after, 'plexi_journal_appends_total')).to.be.above(value(before, 'plexi_journal_appends_total'))
        // the node's own replica stored the posts, and its owner saw them acknowledged
        expect(value(after, 'plexi_replication_replica_records_total')).to.be.at.least(value(before, 'plexi_replication_replica_records_total') + 2)
        expect(value(after, 'plexi_replication_quorum_seconds_count')).to.be.at.least(value(before, 'plexi_replication_quorum_seconds_count') + 2)
        expect(value(after, 'plexi_replication_stale_refusals_total')).to.equal(0)
        expect(value(after, 'plexi_grpc_streams_open')).to.equal(value(before, 'plexi_grpc_streams_open') + 1)
        feed.cancel()
      } finally {
        client.close()
      }
    })
  })
})

describe('single node lifecycle (real processes on loopback)', function () {
  this.timeout(90_000)
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  async function addUser (node: NodeProcess, name: string): Promise<string> {
    const result = await runCli(['admin', 'users', 'add', name, '--json', '--admin-addr', node.admin, '--data-dir', node.dataDir])
    expect(result.code, result.stderr).to.equal(0)
    return (JSON.parse(result.stdout) as { token: string }).token
  }

  it('should exit 0 on SIGTERM with every acknowledged post kept, closing streams with a clear status, and find it all after a restart', async () => {
    let node = await startNodeProcess(dir.path)
    const token = await addUser(node, 'alice')
    let client = chatClient(node.grpc, token)
    const feed = follow(client, 'durable', 0)
    await waitFor(feed.live, 'the stream')
    const acked: number[] = []
    const failed: string[] = []
    // posts in flight while the node is told to stop
    const posts = range(1, 200).map((i) => client.call<Ack>('Post', { room: 'durable', text: `p${i}` })
      .then((ack) => { acked.push(ack.seq) }, (err: grpc.ServiceError) => { failed.push(grpc.status[err.code] ?? String(err.code)) }))
    await waitFor(() => acked.length >= 20, 'some acknowledgements')
    const exit = await node.stop('SIGTERM')
    await Promise.all(posts)
    expect(exit).to.deep.equal({ code: 0, signal: null })
    expect(acked.length + failed.length).to.equal(200)
    expect(failed.every((code) => code === 'UNAVAILABLE' || code === 'CANCELLED'), failed.join()).to.equal(true)
    expect(feed.error()?.code).to.equal(grpc.status.UNAVAILABLE)
    expect(feed.error()?.details).to.match(/node is shutting down; resubscribe with after=\d+/)
    expect(node.logs.some((l) => l.msg === 'stopped: journal flushed')).to.equal(true)
    client.close()

    node = await startNodeProcess(dir.path)
    client = chatClient(node.grpc, token)
    try {
      const history = await client.call<{ messages: Received[] }>('History', { room: 'durable', after: 0, limit: 1000 })
      const stored = new Set(seqs(history.messages))
      for (const seq of acked) expect(stored.has(seq), `acknowledged seq ${seq}`).to.equal(true)
      expect(seqs(history.messages)).to.deep.equal(range(1, history.messages.length))
    } finally {
      client.close()
      expect((await node.stop()).code).to.equal(0)
    }
  })

  it('should rate-limit posts per user with RESOURCE_EXHAUSTED and retry information', async () => {
    // a refill every 100 s: the third post is refused however slowly the first two go
    const node = await startNodeProcess(dir.path, ['--chat-rate', '0.01', '--chat-burst', '2'])
    const client = chatClient(node.grpc, await addUser(node, 'alice'))
    try {
      await client.call('Post', { room: 'limited', text: '1' })
      await client.call('Post', { room: 'limited', text: '2' })
      const err = await client.call('Post', { room: 'limited', text: '3' }).then(() => null, (e: grpc.ServiceError) => e)
      expect(err?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
      expect(err?.details).to.match(/rate limit: at most 0.01 posts per second \(bursts of 2\); retry in \d+ ms/)
      const retryAfter = Number(err?.metadata.get('retry-after-ms')[0])
      expect(retryAfter).to.be.above(0).and.at.most(100_000)
      const details = decodeRetryStatus(loadRetryInfoTypes(), err?.metadata.get('grpc-status-details-bin')[0] as Buffer)
      expect(details.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
      expect(details.retryAfterMs).to.equal(retryAfter)
      const history = await client.call<{ messages: unknown[] }>('History', { room: 'limited', after: 0, limit: 10 })
      expect(history.messages).to.have.length(2)
      // joins and leaves write events too: the same bucket
      const join = await client.call('Join', { room: 'limited' }).then(() => null, (e: grpc.ServiceError) => e)
      expect(join?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    } finally {
      client.close()
      await node.stop()
    }
  })

  it('should cap an address\'s streams and throttle its failed authentications on every endpoint together, counting refusals in /metrics', async () => {
    // one failure allowed, refilled a minute later: long after this test is done
    const node = await startNodeProcess(dir.path, ['--streams-per-ip', '1', '--auth-failures-per-min', '1'])
    const client = chatClient(node.grpc, await addUser(node, 'alice'))
    const stranger = chatClient(node.grpc, 'plxu_not-a-real-token')
    try {
      const first = follow(client, 'capped', 0)
      await waitFor(() => first.live() || first.error() !== undefined, 'the first stream to go live')
      expect(first.error()).to.equal(undefined)
      const second = follow(client, 'capped', 0)
      await waitFor(() => second.error() !== undefined, 'the second stream to be refused')
      expect(second.error()?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
      expect(second.error()?.details).to.match(/^at most 1 streams may be open at once from one address on this node/)
      first.cancel()
      const err = await stranger.call('ListRooms', {}).then(() => null, (e: grpc.ServiceError) => e)
      expect(err?.code).to.equal(grpc.status.UNAUTHENTICATED)
      // the right admin token, from the address that failed on gRPC: refused unchecked
      const admin = await fetch(`http://${node.admin}/api/v1/users`, { headers: { authorization: `Bearer ${node.adminToken}` } })
      expect(admin.status).to.equal(429)
      expect(Number(admin.headers.get('retry-after'))).to.be.above(1)
      expect(((await admin.json()) as { code: string }).code).to.equal('AUTH_THROTTLED')
      const valid = await client.call('ListRooms', {}).then(() => null, (e: grpc.ServiceError) => e)
      expect(valid?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
      expect(valid?.details).to.match(/^too many failed authentications from 127\.0\.0\.1; retry in \d+ s$/)
      const metrics = await (await fetch(`http://${node.admin}/metrics`)).text()
      expect(metrics).to.include('plexi_client_refusals_total{endpoint="grpc",reason="streams"} 1')
      expect(metrics).to.include('plexi_client_refusals_total{endpoint="grpc",reason="auth-failures"} 1')
      expect(metrics).to.include('plexi_client_refusals_total{endpoint="admin",reason="auth-failures"} 1')
      expect(metrics).to.include('plexi_auth_failures_total{endpoint="grpc"} 1')
    } finally {
      client.close()
      stranger.close()
      await node.stop()
    }
  })

  it('should give each user one request budget from any address (gRPC and admin tokens alike), and leave other users theirs', async () => {
    // 3 requests each, refilled one a quarter of an hour: long after this test is done
    const node = await startNodeProcess(dir.path, ['--user-rate', '0.001', '--user-burst', '3'])
    const api = async (path: string, init: { method?: string, body?: unknown } = {}): Promise<Response> => await fetch(`http://${node.admin}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${node.adminToken}`, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) })
    })
    const tokenOf = async (name: string): Promise<string> => ((await (await api('/users', { method: 'POST', body: { name } })).json()) as { token: string }).token
    const ann = chatClient(node.grpc, await tokenOf('ann'))
    const bob = chatClient(node.grpc, await tokenOf('bob'))
    try {
      for (let i = 0; i < 3; i++) await ann.call('ListRooms', {})
      const over = await ann.call('ListRooms', {}).then(() => null, (e: grpc.ServiceError) => e)
      expect(over?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
      expect(over?.details).to.match(/^rate limit: at most 0\.001 requests per second per user \(bursts of 3\), and ann is over it; retry in \d+ ms$/)
      // another user, from the same address, has a budget of its own
      await bob.call('ListRooms', {})
      // the admin token made 2 requests: one more, then it is over too
      expect((await api('/users')).status).to.equal(200)
      const refused = await api('/users')
      expect(refused.status).to.equal(429)
      expect(Number(refused.headers.get('retry-after'))).to.be.above(1)
      expect(((await refused.json()) as { code: string }).code).to.equal('RATE_LIMITED')
      const metrics = await (await fetch(`http://${node.admin}/metrics`)).text()
      expect(metrics).to.include('plexi_client_refusals_total{endpoint="grpc",reason="user-rate"} 1')
      expect(metrics).to.include('plexi_client_refusals_total{endpoint="admin",reason="user-rate"} 1')
    } finally {
      ann.close()
      bob.close()
      await node.stop()
    }
  })

  it('should count requests through a trusted proxy as from the clients it names (--trusted-proxies)', async () => {
    const node = await startNodeProcess(dir.path, ['--trusted-proxies', '127.0.0.1', '--ip-rate', '0.001', '--ip-burst', '1'])
    try {
      const get = async (forwarded: string): Promise<number> => (await fetch(`http://${node.admin}/api/v1/nodes`, { headers: { authorization: `Bearer ${node.adminToken}`, 'x-forwarded-for': forwarded } })).status
      expect(await get('203.0.113.1')).to.equal(200)
      expect(await get('203.0.113.2')).to.equal(200)
      expect(await get('203.0.113.1')).to.equal(429)
      await node.awaitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('trusting X-Forwarded-For from 127.0.0.1'), 'the trusted proxies logged')
    } finally {
      await node.stop()
    }
  })

  it('should end the stream of a subscriber that stops reading, and lose nothing when it resumes', async () => {
    const node = await startNodeProcess(dir.path, ['--stream-buffer', '50'])
    const token = await addUser(node, 'alice')
    const poster = chatClient(node.grpc, token)
    const reader = chatClient(node.grpc, token)
    try {
      const received: number[] = []
      let ended: grpc.ServiceError | undefined
      const stream = reader.subscribe('firehose', 0)
      let live = false
      stream.on('data', (event) => {
        if (event.message !== undefined && event.message !== null) received.push(event.message.seq)
        else if (event.live !== undefined && event.live !== null) live = true
      })
      stream.on('error', (err: grpc.ServiceError) => { ended = err })
      await waitFor(() => live, 'the stream')
      stream.pause()   // the client stops reading: HTTP/2 flow control fills, then the node's queue
      const total = 3000
      for (let sent = 0; sent < total && ended === undefined; sent += 50) {
        await Promise.all(range(1, 50).map(() => poster.call('Post', { room: 'firehose', text: 'a message of some sixty bytes that fills the window up' })))
      }
      stream.resume()
      await waitFor(() => ended !== undefined, 'the node to end the slow stream', { timeout: 20_000 })
      expect(ended?.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
      const resumeAfter = Number(/resubscribe with after=(\d+)/.exec(ended?.details ?? '')?.[1])
      expect(resumeAfter).to.equal(received.at(-1))
      const posted = (await poster.call<{ lastSeq: number }>('Join', { room: 'firehose' })).lastSeq
      const rest = follow(reader, 'firehose', resumeAfter)
      await waitFor(() => rest.messages.length > 0 && (rest.messages.at(-1)?.seq ?? 0) >= posted, 'the rest of the messages')
      expect([...received, ...seqs(rest.messages)].slice(0, posted)).to.deep.equal(range(1, posted))
      rest.cancel()
    } finally {
      poster.close()
      reader.close()
      await node.stop()
    }
  })

  it('should refuse chat and users with UNAVAILABLE / 503 naming the role on a lone node without the chat role', async () => {
    const node = await startNodeProcess(dir.path, ['--role', 'ai,storage'])
    const client = chatClient(node.grpc, 'plxu_not-a-real-token-but-well-formed')
    try {
      // users and rooms are entities of the chat role: with no member holding it, nothing can hold them
      const add = await runCli(['admin', 'users', 'add', 'alice', '--admin-addr', node.admin, '--data-dir', dir.path])
      expect(add.code).to.equal(1)
      expect(add.stderr).to.match(/503 no member that is up holds the chat role/)
      const err = await client.call('Post', { room: 'r', text: 'x' }).then(() => null, (e: grpc.ServiceError) => e)
      expect(err?.code).to.equal(grpc.status.UNAVAILABLE)
      expect(err?.details).to.match(/holds the chat role/)
      const cluster = JSON.parse((await runCli(['admin', 'cluster', '--json', '--admin-addr', node.admin, '--data-dir', dir.path])).stdout)
      expect(cluster.self.roles).to.deep.equal(['ai', 'storage'])
      // an ai node gets the test model; a node without the ai role would not (see the first suite)
    } finally {
      client.close()
      await node.stop()
    }
  })

  it('should refuse to start on a bad configuration, naming the key, with exit code 2', async () => {
    const bad = await runCli(['node', 'start', '--role', 'all', '--data-dir', dir.path, '--admin-listen', '127.0.0.1:99999'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--admin-listen: expected host:port/)
    const noRole = await runCli(['node', 'start', '--data-dir', dir.path])
    expect(noRole.code).to.equal(2)
    expect(noRole.stderr).to.match(/no role given/)
    const mdnsAlone = await runCli(['node', 'start', '--role', 'chat', '--mdns', '--data-dir', dir.path, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
    expect(mdnsAlone.code).to.equal(2)
    expect(mdnsAlone.stderr).to.match(/mdns: finding nodes by mDNS needs a cluster key/)
    const unknownKey = await runCli(['node', 'start', '--role', 'all', '--data-dir', dir.path], { env: { PLEXI_CONFIG: `${dir.path}/plexi.yaml` } })
    expect(unknownKey.code).to.equal(2)
    expect(unknownKey.stderr).to.match(/cannot read .*plexi.yaml/)
    const inference = await runCli(['node', 'start', '--role', 'all', '--data-dir', dir.path, '--gpu', 'sometimes', '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
    expect(inference.code).to.equal(2)
    expect(inference.stderr).to.match(/--gpu: expected one of auto, cuda, off/)
    const noRoom = await runCli(['node', 'start', '--role', 'all', '--data-dir', dir.path, '--agent-max-tokens', '4096', '--context-size', '2048', '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
    expect(noRoom.code).to.equal(2)
    expect(noRoom.stderr).to.match(/agent-max-tokens.*leaves no room for the prompt/)
    const noModel = await runCli(['node', 'start', '--role', 'all', '--data-dir', dir.path, '--default-model', 'absent', '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
    expect(noModel.code).to.equal(2)
    expect(noModel.stderr).to.match(/default-model: no usable model named absent/)
  })

  it('should refuse to start with a partition count other than the one its data dir recorded, changing nothing', async () => {
    const first = await startNodeProcess(dir.path)
    await first.stop()
    const other = await runCli(['node', 'start', '--role', 'all', '--data-dir', dir.path, '--partitions', '64', '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
    expect(other.code).to.equal(2)
    expect(other.stderr).to.match(/partitions: .*created with 256 partitions, and partitions is set to 64/)
    // the data dir still opens with what it recorded
    const again = await startNodeProcess(dir.path, ['--partitions', '256'])
    await again.stop()
  })

  it('should refuse a second node on the same data dir with a clear error and exit code 1', async () => {
    const node = await startNodeProcess(dir.path)
    try {
      const models = await tempDir()
      try {
        const second = await runCli(['node', 'start', '--role', 'all', '--data-dir', dir.path, '--models-dir', models.path, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
        expect(second.code).to.equal(1)
        expect(second.stderr).to.match(/in use by another process/)
        expect(await readdir(models.path), 'the refused node changed nothing').to.deep.equal([])
      } finally {
        await models.remove()
      }
    } finally {
      await node.stop()
    }
  })
})

describe('p2p host of a node (real processes on loopback)', function () {
  this.timeout(60_000)

  it('should listen only with a cluster key, log its full multiaddr, show it as a member address, and let a node with the key join', async () => {
    const dirs = [await tempDir(), await tempDir()]
    const nodes: NodeProcess[] = []
    try {
      const keyFile = `${dirs[0]!.path}/cluster.key`
      const key = await runCli(['cluster', 'keygen', '--out', keyFile])
      expect(key.code, key.stderr).to.equal(0)
      expect(key.stdout).to.include(`wrote ${keyFile} (mode 0600)`)
      expect((await (await import('node:fs/promises')).stat(keyFile)).mode & 0o777).to.equal(0o600)
      const p2p = ['--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--role', 'chat', '--failure-timeout', '1500']
      nodes.push(await startNodeProcess(dirs[0]!.path, p2p))
      const ready = nodes[0]!.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
      const address = (ready?.p2p as string[] | undefined)?.[0]
      expect(address).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo/)
      expect(ready?.msg).to.include(`p2p on ${address} (give it to --join)`)
      const nodesJson = JSON.parse((await runCli(['admin', 'nodes', '--json', '--admin-addr', nodes[0]!.admin, '--data-dir', dirs[0]!.path])).stdout) as Array<{ addresses: { p2p: string[] } }>
      expect(nodesJson[0]?.addresses.p2p).to.deep.equal([address])
      nodes.push(await startNodeProcess(dirs[1]!.path, [...p2p, '--join', address as string]))
      await waitFor(() => nodes[1]!.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith(`connected to ${address}`)), 'the second node to connect', { timeout: 15_000, interval: 20 })
      type Cluster = { self: { peerId: string }, members: Array<{ peerId: string, status: string, addresses: { grpc: string } }> }
      const cluster = async (): Promise<Cluster> => await (await fetch(`http://${nodes[0]!.admin}/api/v1/cluster`, { headers: { authorization: `Bearer ${nodes[0]!.adminToken}` } })).json() as Cluster
      await waitFor(async () => (await cluster()).members.filter((m) => m.status === 'up').length === 2, 'both members up on the first node', { timeout: 15_000, interval: 50 })
      const second = (await cluster()).members.find((m) => m.peerId !== (nodes[0]!.logs.find((l) => l.peerId !== undefined)?.peerId))
      expect(second?.addresses.grpc).to.equal(nodes[1]!.grpc)
      await nodes[1]!.stop('SIGKILL')
      await waitFor(async () => (await cluster()).members.find((m) => m.peerId === second?.peerId)?.status === 'down', 'the killed member down', { timeout: 10_000, interval: 50 })
      const refused = await runCli(['node', 'start', '--role', 'chat', '--data-dir', dirs[1]!.path, '--join', address as string])
      expect(refused.code).to.equal(2)
      expect(refused.stderr).to.match(/joining a cluster needs its key: pass --cluster-key-file/)
      const badKey = await runCli(['node', 'start', '--role', 'chat', '--data-dir', dirs[1]!.path, '--cluster-key-file', `${dirs[0]!.path}/admin-token`])
      expect(badKey.code).to.equal(2)
      expect(badKey.stderr).to.match(/cluster-key-file: .* is not a cluster key/)
    } finally {
      for (const node of nodes) await node.stop()
      for (const dir of dirs) await dir.remove()
    }
  })
})
