import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type * as grpc from '@grpc/grpc-js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { readClusterKey, startP2pHost } from '../../node/mesh/index.ts'
import type { P2pHost } from '../../node/mesh/p2p-host.ts'
import { ACTOR_PROTOCOL } from '../../protocols/p2p/index.ts'
import { agentClient, chatClient, collectAnswer, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const FAILURE_TIMEOUT = 1_500

interface Member { peerId: string, roles: string[], status: string, addresses: { grpc: string, p2p: string[] } }
interface Running extends NodeProcess { readonly peerId: string, readonly p2p: string }
type Feed = grpc.ClientReadableStream<{ message?: { seq: number, user: string, text: string, kind: string }, live?: { lastSeq: number } }>

async function api<T> (node: Running, method: string, path: string, body?: unknown): Promise<{ status: number, body: T, headers: Headers }> {
  const res = await fetch(`http://${node.admin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${node.adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) })
  })
  return { status: res.status, body: await res.json() as T, headers: res.headers }
}

/** Reads a Subscribe stream until `count` messages have come (bounded). */
function collect (feed: Feed, count: number, timeout = 20_000): Promise<Array<{ seq: number, user: string, text: string }>> {
  const got: Array<{ seq: number, user: string, text: string }> = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`only ${got.length} of ${count} messages within ${timeout} ms`)) }, timeout)
    feed.on('data', (event) => {
      if (event.message?.kind !== 'MESSAGE') return
      got.push({ seq: event.message.seq, user: event.message.user, text: event.message.text })
      if (got.length === count) {
        clearTimeout(timer)
        resolve(got)
      }
    })
    feed.on('error', (err) => { clearTimeout(timer); reject(err) })
  })
}

describe('a cluster of node processes (real libp2p, gRPC and LevelDB on loopback)', function () {
  this.timeout(120_000)
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const nodes: Running[] = []
  let keyFile = ''
  const clients: Array<{ close: () => void }> = []

  async function start (roles: string, join?: Running, extra: readonly string[] = []): Promise<Running> {
    const dir = await tempDir()
    dirs.push(dir)
    const args = ['--role', roles, '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--failure-timeout', String(FAILURE_TIMEOUT),
      ...(join === undefined ? [] : ['--join', join.p2p]), ...extra]
    const node = await startNodeProcess(dir.path, args)
    const ready = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    const p2p = (ready?.p2p as string[])[0] as string
    const running = Object.assign(node, { peerId: ready?.peerId as string, p2p })
    nodes.push(running)
    return running
  }

  const members = async (node: Running): Promise<Member[]> => (await api<Member[]>(node, 'GET', '/nodes')).body
  const up = async (node: Running): Promise<Member[]> => (await members(node)).filter((m) => m.status === 'up')
  const ownerOf = async (node: Running, type: string, key: string): Promise<string | undefined> => {
    const res = await api<{ node: string }>(node, 'GET', `/actors/${type}/${key}`)
    return res.status === 200 ? res.body.node : undefined
  }

  /** Posts to rooms `<prefix>-0`, `<prefix>-1`, ... (at most 40) until one lives on `owner`, as
   * `lookup` sees it; returns its name ('' when none did). */
  const roomOwnedBy = async (client: ReturnType<typeof chatClient>, lookup: Running, owner: string, prefix: string, text: string): Promise<string> => {
    for (let i = 0; i < 40; i++) {
      await client.call('Post', { room: `${prefix}-${i}`, text })
      if (await ownerOf(lookup, 'room', `${prefix}-${i}`) === owner) return `${prefix}-${i}`
    }
    return ''
  }

  /** Waits until every node lists every member up and settled (its record says so). */
  async function everySettled (): Promise<void> {
    interface Settled { peerId: string, status: string, settled?: boolean }
    await waitFor(async () => (await Promise.all(nodes.map(async (n) => (await api<Settled[]>(n, 'GET', '/nodes')).body)))
      .every((list) => list.length === nodes.length && list.every((m) => m.status === 'up' && m.settled === true)), 'every member up and settled in every view', { timeout: 20_000, interval: 100 })
  }

  let seed: Running   // chat, storage
  let ai: Running     // ai, storage
  let chatB: Running  // chat
  let chatC: Running  // chat
  let token = ''

  before(async () => {
    const keyDir = await tempDir()
    dirs.push(keyDir)
    keyFile = join(keyDir.path, 'cluster.key')
    await writeFile(keyFile, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })
    seed = await start('chat,storage')
    ai = await start('ai,storage', seed)
    chatB = await start('chat', seed)
    chatC = await start('chat', seed)
    // membership converges: every node sees all four up, with their roles, and settled (each takes
    // the entities placement gives it from then on: no room moves under the tests below)
    for (const node of nodes) await waitFor(async () => (await up(node)).length === 4, `${node.peerId} to see 4 members up`, { timeout: 20_000, interval: 100 })
    await everySettled()
    const added = await runCli(['admin', 'users', 'add', 'alice', '--json', '--no-save', '--admin-addr', chatB.admin, '--data-dir', chatB.dataDir])
    expect(added.code, added.stderr).to.equal(0)
    token = (JSON.parse(added.stdout) as { token: string }).token
  })

  after(async () => {
    for (const c of clients) c.close()
    for (const node of nodes) await node.stop('SIGTERM', 20_000).catch(() => undefined)
    for (const dir of dirs) await dir.remove()
  })

  it('should converge on one membership: every node lists every member with its roles and addresses', async () => {
    for (const node of nodes) {
      const list = await members(node)
      expect(list.map((m) => m.peerId).sort()).to.deep.equal(nodes.map((n) => n.peerId).sort())
      expect(list.find((m) => m.peerId === ai.peerId)?.roles).to.deep.equal(['ai', 'storage'])
      expect(list.find((m) => m.peerId === seed.peerId)?.roles).to.deep.equal(['chat', 'storage'])
      expect(list.find((m) => m.peerId === chatC.peerId)?.addresses.grpc).to.equal(chatC.grpc)
    }
    const cli = await runCli(['admin', 'cluster', '--admin-addr', ai.admin, '--data-dir', ai.dataDir])
    expect(cli.stdout).to.include(`${ai.peerId} (self)`)
    expect(cli.stdout).to.match(/LAST SEEN/)
  })

  it('should agree on one roster version on every node, naming both storage nodes, and place by it (roster versions)', async () => {
    // the seed (started without --join) forms version 1 once settled, with the storage nodes it knows;
    // the keeper's node proposes what it knows that the latest version lacks; every node catches up
    // (its record says how far) and placement follows the versions
    interface Versioned { peerId: string, rosterVersion?: number }
    const seen = async (): Promise<Array<number | undefined>> => (await Promise.all(nodes.map(async (n) => (await api<Versioned[]>(n, 'GET', '/nodes')).body)))
      .flatMap((list) => list.map((m) => m.rosterVersion))
    // the keeper's node settles the partitions' hand-offs (each settle a version of its own): wait
    // until no node's roster names an earlier set not settled and every node names the same version
    const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (-?\\d+)$`, 'm').exec(text)?.[1] ?? NaN)
    await waitFor(async () => {
      const v = await seen()
      if (v[0] === undefined || !v.every((x) => x === v[0])) return false
      const texts = await Promise.all(nodes.map(async (n) => await (await fetch(`http://${n.admin}/metrics`)).text()))
      return texts.every((t) => !/^plexi_roster_unsettled_partitions /m.test(t) || metric(t, 'plexi_roster_unsettled_partitions') === 0)
    }, 'every node to name the same roster version for every member, every hand-off settled', { timeout: 30_000, interval: 200 })
    const [version] = await seen()
    expect(await seen()).to.have.length(nodes.length * nodes.length)
    let changes = 0
    let settles = 0
    for (const node of nodes) {
      const metrics = await (await fetch(`http://${node.admin}/metrics`)).text()
      expect(metrics, `${node.peerId}'s metrics`).to.include(`\nplexi_roster_version ${String(version)}\n`)
      changes += metric(metrics, 'plexi_roster_changes_total')
      if (/^plexi_roster_settle_versions_total /m.test(metrics)) settles += metric(metrics, 'plexi_roster_settle_versions_total')
      // the storage nodes every node places on: the version's
      const storage = (await api<Array<{ peerId: string, state: string }>>(node, 'GET', '/storage')).body
      expect(storage.map((r) => `${r.peerId} ${r.state}`).sort(), `${node.peerId}'s storage nodes`).to.deep.equal([`${ai.peerId} active`, `${seed.peerId} active`].sort())
    }
    // version 1 formed with the seed alone (then the ai node's join: version 2, which moved every
    // partition, settled in one version or more), or with both
    expect(version, 'each version one change or one settle').to.equal(1 + changes + settles)
    const rows = (await api<Array<{ earlierSets: unknown[] | null }>>(seed, 'GET', '/partitions?limit=1000')).body
    expect(rows.every((r) => Array.isArray(r.earlierSets) && r.earlierSets.length === 0), `no earlier set left: ${JSON.stringify(rows.slice(0, 3))}`).to.equal(true)
    // every node names the same configuration version for each partition: worked out version by
    // version, or (a node that joined after version 1) taken from a member at its version
    type Configured = { partition: number, configurationVersion: number | null }
    const configs = async (node: Running): Promise<string> => (await api<Configured[]>(node, 'GET', '/partitions?limit=1000')).body.map((r) => String(r.configurationVersion)).join(',')
    await waitFor(async () => new Set(await Promise.all(nodes.map(configs))).size === 1, 'every node to name the same configuration versions', { timeout: 20_000, interval: 200 })
    const named = (await configs(seed)).split(',').map(Number)
    expect(named.every((c) => c >= 1 && c <= (version ?? 0)), named.join(',')).to.equal(true)
  })

  it('should give clients on different nodes the same messages in the same order', async () => {
    const entry = [seed, chatB, chatC, ai]   // the ai node holds no chat role, and serves chat all the same
    const chat = entry.map((n) => chatClient(n.grpc, token))
    clients.push(...chat)
    const perClient = 15
    const total = perClient * 3
    const feeds = chat.map((c) => c.subscribe('lobby', 0) as Feed)
    const received = feeds.map((f) => collect(f, total))
    // every subscriber is live before the posts start
    await Promise.all(feeds.map((f) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no live marker')) }, 15_000)
      f.on('data', (e) => { if (e.live !== undefined) { clearTimeout(timer); resolve() } })
    })))
    const posters = chat.slice(0, 3)
    await Promise.all(posters.map(async (c, i) => {
      for (let k = 0; k < perClient; k++) await c.call('Post', { room: 'lobby', text: `from ${i} #${k}` })
    }))
    const streams = await Promise.all(received)
    for (const s of streams) expect(s).to.deep.equal(streams[0])
    const seqs = (streams[0] ?? []).map((m) => m.seq)
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).to.equal(total)
    for (const f of feeds) f.cancel()
    // history is the same from every node
    const histories = await Promise.all(chat.map(async (c) => (await c.call<{ messages: Array<{ seq: number, text: string }> }>('History', { room: 'lobby', after: 0, limit: 1000 })).messages.map((m) => `${m.seq}:${m.text}`)))
    for (const h of histories) expect(h).to.deep.equal(histories[0])
    // the room lives on one chat node; every node's admin API says which
    const owners = await Promise.all(nodes.map((n) => ownerOf(n, 'room', 'lobby')))
    expect(new Set(owners).size).to.equal(1)
    expect([seed.peerId, chatB.peerId, chatC.peerId]).to.include(owners[0])
  })

  it('should keep every member up and every room where it is through a steady load on every node: nothing flaps', async () => {
    // once every node has settled in every view, the cluster is steady: nothing may change from here
    await everySettled()
    const marks = nodes.map((n) => n.logs.length)
    const entry = [seed, chatB, chatC]
    const chat = entry.map((n) => chatClient(n.grpc, token))
    clients.push(...chat)
    const rooms = Array.from({ length: 30 }, (_, i) => `steady-${i}`)
    for (const room of rooms) await (chat[0] as ReturnType<typeof chatClient>).call('Post', { room, text: 'first' })
    const ownersBefore = await Promise.all(rooms.map(async (room) => await ownerOf(seed, 'room', room)))
    // 1,800 posts, 48 in flight, through three nodes: every node's event loop busy with them
    let next = 0
    await Promise.all(Array.from({ length: 48 }, async (_, w) => {
      for (let i = next++; i < 1_800; i = next++) await (chat[w % 3] as ReturnType<typeof chatClient>).call('Post', { room: rooms[i % rooms.length], text: `load ${i}` })
    }))
    const ownersAfter = await Promise.all(rooms.map(async (room) => await ownerOf(seed, 'room', room)))
    expect(ownersAfter, 'no room changed owner').to.deep.equal(ownersBefore)
    const flaps = nodes.flatMap((n, i) => n.logs.slice(marks[i]).map((l) => String(l.msg))
      .filter((msg) => /is down|is back|closing the connection to|placement view changed|its view is partial|refuses new connections/.test(msg)).map((msg) => `${n.peerId}: ${msg}`))
    expect(flaps, 'no member went down or came back, no connection was closed, no view changed').to.deep.equal([])
    for (const n of nodes) expect((await up(n)).length, `${n.peerId} sees every member up`).to.equal(nodes.length)
  })

  it('should run agents only on ai nodes and stream their answer to the asking client\'s node', async () => {
    const agent = agentClient(chatC.grpc, token)
    clients.push(agent)
    const { events, error } = await collectAnswer(agent.ask('Say something.'), 90_000)
    expect(error, error?.details).to.equal(undefined)
    const tokens = events.filter((e) => e.token !== undefined).map((e) => e.token?.text).join('')
    const done = events.find((e) => e.done !== undefined)?.done
    expect(done?.completionTokens).to.be.greaterThan(0)
    expect(tokens.length).to.be.greaterThan(0)
    const actors = await api<Array<{ kind: string, key: string | null, node: string }>>(seed, 'GET', '/actors?type=agent')
    expect(actors.body.map((a) => [a.key, a.node])).to.deep.equal([['alice', ai.peerId]])
  })

  it('should list actors cluster-wide, each with the node it lives on', async () => {
    const res = await api<Array<{ kind: string, node: string, path: string }>>(chatB, 'GET', '/actors?all=true&limit=1000')
    expect(res.headers.get('x-plexi-unreachable')).to.equal(null)
    const byNode = new Set(res.body.map((a) => a.node))
    for (const n of nodes) expect(byNode.has(n.peerId), `actors of ${n.peerId}`).to.equal(true)
    expect(res.body.filter((a) => a.kind === 'role-manager')).to.have.length(4)
  })

  let changed: Running   // the chat node that the role change turns into a storage node

  it('should move new activations when an admin changes a member\'s roles', async () => {
    // the holder of the user directory when it is one of these two: the directory moves, and the
    // users with it (its journal is caught up from the old owner)
    const users = await ownerOf(seed, 'users', 'all')
    changed = [chatB, chatC].find((n) => n.peerId === users) ?? chatC
    // a room living on that member, with a live subscriber on another node: it must follow the room
    const watcher = chatClient(ai.grpc, token)
    clients.push(watcher)
    const moving = await roomOwnedBy(watcher, seed, changed.peerId, 'moving', 'before the move')
    expect(moving, 'a room on the member whose roles change').to.not.equal('')
    const feed = watcher.subscribe(moving, 0) as Feed
    const followed = collect(feed, 2)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no live marker')) }, 10_000)
      feed.on('data', (e) => { if (e.live !== undefined) { clearTimeout(timer); resolve() } })
    })
    const set = await runCli(['admin', 'roles', 'set', changed.peerId, 'storage', '--admin-addr', seed.admin, '--data-dir', seed.dataDir])
    expect(set.code, set.stderr).to.equal(0)
    expect(set.stdout).to.include(`roles of ${changed.peerId}: storage (were chat)`)
    for (const node of nodes) {
      await waitFor(async () => (await members(node)).find((m) => m.peerId === changed.peerId)?.roles.join(',') === 'storage',
        `${node.peerId} to see the new roles`, { timeout: 10_000, interval: 50 })
    }
    const chat = chatClient(seed.grpc, token)
    clients.push(chat)
    // alice still logs in, and the room keeps its history wherever it lives now
    const lobby = await chat.call<{ messages: Array<{ seq: number }> }>('History', { room: 'lobby', after: 0, limit: 1000 })
    const next = await chat.call<{ seq: number }>('Post', { room: 'lobby', text: 'after the role change' })
    expect(next.seq).to.equal((lobby.messages.at(-1)?.seq ?? 0) + 1)
    // the moved room goes on at seq 2 on its new owner, and the subscriber on the ai node sees it
    expect((await chat.call<{ seq: number }>('Post', { room: moving, text: 'after the move' })).seq).to.equal(2)
    expect((await followed).map((m) => `${m.seq}:${m.text}`)).to.deep.equal(['1:before the move', '2:after the move'])
    expect(await ownerOf(seed, 'room', moving)).to.not.equal(changed.peerId)
    feed.cancel()
    for (let i = 0; i < 12; i++) await chat.call('Post', { room: `after-change-${i}`, text: 'x' })
    const rooms = (await api<Array<{ kind: string, node: string }>>(seed, 'GET', '/actors?type=room&limit=1000')).body
    expect(rooms.length).to.be.greaterThan(0)
    expect(rooms.filter((r) => r.node === changed.peerId)).to.deep.equal([])
    const bad = await runCli(['admin', 'roles', 'set', changed.peerId, 'chat,cook', '--admin-addr', seed.admin, '--data-dir', seed.dataDir])
    expect(bad.code).to.equal(1)
    expect(bad.stderr).to.match(/must be equal to one of the allowed values|not a role/)
    const unknown = await api<{ code: string }>(seed, 'PUT', '/nodes/12D3KooWNobody/roles', { roles: ['chat'] })
    expect([unknown.status, unknown.body.code]).to.deep.equal([404, 'UNKNOWN_PEER'])
  })

  it('should list every partition with its replicas on the storage nodes, from any node', async () => {
    const storage = [seed.peerId, ai.peerId, changed.peerId].sort()
    // every node places on the three storage nodes once a roster version names the third (the
    // keeper's node proposes it after the role change): the same replicas from each of them
    type Row = { partition: number, writeQuorum: number, replicas: Array<{ peerId: string, lag: number | null, records: number | null, merkleRoot: string | null }> }
    let rows: Row[] = []
    await waitFor(async () => {
      const listed = await runCli(['admin', 'partitions', '--json', '--admin-addr', chatC.admin, '--data-dir', chatC.dataDir])
      expect(listed.code, listed.stderr).to.equal(0)
      rows = JSON.parse(listed.stdout) as Row[]
      return rows.every((row) => row.replicas.length === storage.length)
    }, 'every partition placed on the three storage nodes', { timeout: 20_000, interval: 200 })
    expect(rows).to.have.length(256)
    for (const row of rows) {
      expect(row.writeQuorum).to.equal(2)
      expect(row.replicas.map((r) => r.peerId).sort(), `partition ${row.partition}`).to.deep.equal(storage)
      // every replica answered with its Merkle root (64 hex digits)
      for (const r of row.replicas) expect(r.merkleRoot ?? '', `partition ${row.partition}`).to.match(/^[0-9a-f]{64}$/)
    }
    const table = await runCli(['admin', 'partitions', '--partition', '7', '--admin-addr', seed.admin, '--data-dir', seed.dataDir])
    expect(table.stdout).to.match(/PARTITION\s+W\s+REPLICA.*MERKLE ROOT/)
    expect(table.stdout).to.include('1 partitions;')
    const bad = await runCli(['admin', 'partitions', '--partition', 'seven', '--admin-addr', seed.admin, '--data-dir', seed.dataDir])
    expect(bad.code).to.equal(2)
  })

  it('should keep the history of the rooms that a joining member takes over', async () => {
    const chat = chatClient(chatB.grpc, token)
    clients.push(chat)
    const rooms = Array.from({ length: 20 }, (_, i) => `before-join-${i}`)
    for (const room of rooms) await chat.call('Post', { room, text: 'first' })
    const joined = await start('chat', seed)
    for (const node of nodes) await waitFor(async () => (await up(node)).length === nodes.length, `${node.peerId} to see ${nodes.length} members up`, { timeout: 20_000, interval: 100 })
    // a member that joins takes entities once it stayed up a moment (no flapping)
    await waitFor(async () => (await Promise.all(rooms.map((room) => ownerOf(chatB, 'room', room)))).includes(joined.peerId), 'rooms placed on the new member', { timeout: 20_000, interval: 100 })
    for (const room of rooms) {
      const ack = await chat.call<{ seq: number }>('Post', { room, text: 'second' })
      expect(ack.seq, room).to.equal(2)
    }
    const owners = await Promise.all(rooms.map((room) => ownerOf(chatB, 'room', room)))
    expect(owners.filter((o) => o === joined.peerId).length, 'rooms taken over by the new member').to.be.greaterThan(0)
  })

  it('should close a stream that sends garbage frames and keep serving', async () => {
    let raw: P2pHost | undefined
    try {
      raw = await startP2pHost({
        privateKey: await generateKeyPair('Ed25519'), listen: '/ip4/127.0.0.1/tcp/0', join: [], clusterKey: await readClusterKey(keyFile), failureTimeout: 60_000,
        log: { info: () => undefined, warn: () => undefined },
        self: () => ({ peerId: raw?.peerId ?? '', roles: [], addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, capacity: 1, status: 'joining', incarnation: 1, version: '' })
      })
      for (const bytes of [new Uint8Array([5, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]), new Uint8Array([0xff, 0xff, 0xff, 0x7f]), new Uint8Array([2, 0x81, 0xa1])]) {
        const stream = await raw.libp2p.dialProtocol(multiaddr(seed.p2p), ACTOR_PROTOCOL)
        const closed = new Promise<void>((resolve) => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
        stream.send(bytes)
        await Promise.race([closed, new Promise((_r, reject) => setTimeout(() => { reject(new Error('the node kept a garbage stream open')) }, 5_000))])
      }
    } finally {
      await raw?.stop()
    }
    await waitFor(() => seed.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('closed the actor stream from')), 'the refusal in the log')
    expect((await fetch(`http://${seed.admin}/livez`)).status).to.equal(200)
    const chat = chatClient(seed.grpc, token)
    clients.push(chat)
    expect((await chat.call<{ seq: number }>('Post', { room: 'lobby', text: 'after garbage' })).seq).to.be.greaterThan(0)
  })

  it('should keep a node that has heard no member of its --join list not ready, and make it ready once it hears one', async () => {
    // a member-to-be: its identity and port are known, and it is down
    const laterDir = await tempDir()
    dirs.push(laterDir)
    const later = await startNodeProcess(laterDir.path, ['--role', 'chat,storage', '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0'])
    const address = (later.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))?.p2p as string[])[0] as string
    await later.stop('SIGTERM')
    const waitingDir = await tempDir()
    dirs.push(waitingDir)
    const waiting = await startNodeProcess(waitingDir.path, ['--role', 'chat,storage', '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--join', address], 40_000, [], 'waiting to hear')
    let back: NodeProcess | undefined
    try {
      const readyz = await fetch(`http://${waiting.admin}/readyz`)
      expect(readyz.status).to.equal(503)
      const client = chatClient(waiting.grpc, token)
      clients.push(client)
      const refused = await client.call('Post', { room: 'early', text: 'too soon' }).then(() => null, (e: { code?: number, message?: string }) => e)
      expect(refused?.code, refused?.message).to.equal(14)
      // the member comes up where the waiting node looks for it
      const port = /tcp\/(\d+)/.exec(address)?.[1] as string
      back = await startNodeProcess(laterDir.path, ['--role', 'chat,storage', '--cluster-key-file', keyFile, '--p2p-listen', `/ip4/127.0.0.1/tcp/${port}`])
      await waitFor(() => waiting.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready')), 'the waiting node to become ready', { timeout: 20_000, interval: 50 })
      expect((await fetch(`http://${waiting.admin}/readyz`)).status).to.equal(200)
    } finally {
      // a cluster of their own (the same key, never joined to the others'): gone before the next test
      await waiting.stop('SIGKILL')
      await back?.stop('SIGKILL')
    }
  })

  it('should never admit a node holding another cluster key', async () => {
    const otherDir = await tempDir()
    dirs.push(otherDir)
    const otherKey = join(otherDir.path, 'other.key')
    await writeFile(otherKey, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })
    const outsider = await startNodeProcess(otherDir.path, ['--role', 'chat', '--cluster-key-file', otherKey, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--join', seed.p2p, '--failure-timeout', String(FAILURE_TIMEOUT)], 40_000, [], 'waiting to hear')
    try {
      await waitFor(() => outsider.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('cannot reach')).length >= 2, 'two failed join attempts', { timeout: 30_000, interval: 50 })
      expect((await members(seed)).length).to.equal(nodes.length)
    } finally {
      await outsider.stop('SIGKILL')
    }
  })

  it('should mark a member killed with SIGKILL down within the failure timeout and activate its entities elsewhere', async () => {
    // the victim: a chat node that does not hold the user directory (not replicated yet: it would take the users with it)
    const users = await ownerOf(seed, 'users', 'all')
    const chatNodes = nodes.filter((n) => n !== changed && n !== ai)
    const victim = chatNodes.find((n) => n.peerId !== users) as Running
    const survivor = chatNodes.find((n) => n !== victim) as Running
    const chat = chatClient(survivor.grpc, token)
    clients.push(chat)
    const room = await roomOwnedBy(chat, survivor, victim.peerId, 'victim', 'before')
    expect(room, 'a room owned by the victim').to.not.equal('')
    await victim.stop('SIGKILL')
    await waitFor(async () => (await members(survivor)).find((m) => m.peerId === victim.peerId)?.status === 'down', 'the killed member down', { timeout: 10_000, interval: 25 })
    // a member that has not yet seen the death may still forward there: that is UNAVAILABLE, and a
    // client retries; a message must never just vanish (no DEADLINE_EXCEEDED). The retry waits for
    // what it needs, every member's view (placement's, which /nodes shows) having the victim down
    const post = (): Promise<{ seq: number }> => chat.call<{ seq: number }>('Post', { room, text: 'after' })
    const ack = await post().catch(async (err: grpc.ServiceError) => {
      if (err.code !== 14) throw err
      for (const node of nodes.filter((n) => n !== victim)) {
        await waitFor(async () => (await members(node)).find((m) => m.peerId === victim.peerId)?.status === 'down',
          `${node.peerId} to see the killed member down`, { timeout: 10_000, interval: 25 })
      }
      return await post()
    })
    // the post before the kill is on the room's replicas: the new owner continues after it
    expect(ack.seq).to.equal(2)
    const owner = await ownerOf(survivor, 'room', room)
    expect(owner).to.not.equal(victim.peerId)
    expect(chatNodes.map((n) => n.peerId)).to.include(owner)
  })
})
