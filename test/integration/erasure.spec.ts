import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LevelStore } from '../../node/index.ts'
import { STORE_DIR } from '../../node/constants.ts'
import { chatClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { storeHits } from '../helpers/store-scan.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

interface Running extends NodeProcess { readonly peerId: string, readonly p2p: string }
interface Partition { partition: number, replicas: Array<{ peerId: string, merkleRoot: string | null }> }
interface WireMessage { seq: number, user: string, text: string, kind: string, redacted: boolean, redacts: number }
type Chat = ReturnType<typeof chatClient>

async function api<T> (node: Running, method: string, path: string, body?: unknown): Promise<{ status: number, body: T }> {
  const res = await fetch(`http://${node.admin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${node.adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) })
  })
  return { status: res.status, body: await res.json() as T }
}

/** A call retried while the room's owner is not yet known to the node asked (UNAVAILABLE). */
async function retried<T> (call: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await call()
    } catch (err) {
      if ((err as { code?: number }).code !== 14 || tries >= 30) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

describe('redaction, erasure and retention across node processes (real libp2p, gRPC and LevelDB on loopback)', function () {
  this.timeout(240_000)
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const nodes: Running[] = []
  const clients: Chat[] = []

  async function start (dir: string, keyFile: string, join_?: Running, roles = 'chat,storage'): Promise<Running> {
    // (no node is killed here: a failure timeout well above a loaded machine's heartbeat gaps keeps
    // every replica live, so the erasure's rooms come from the indexes, as the test asserts)
    const args = ['--role', roles, '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--failure-timeout', '5000',
      '--anti-entropy-interval', '500', ...(join_ === undefined ? [] : ['--join', join_.p2p])]
    const node = await startNodeProcess(dir, args)
    const ready = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    const running = Object.assign(node, { peerId: ready?.peerId as string, p2p: (ready?.p2p as string[])[0] as string })
    nodes.push(running)
    return running
  }
  const client = (node: Running, token: string): Chat => {
    const c = chatClient(node.grpc, token)
    clients.push(c)
    return c
  }
  const history = async (c: Chat, room: string): Promise<{ messages: WireMessage[], retainedFrom: number }> =>
    await retried(async () => await c.call<{ messages: WireMessage[], retainedFrom: number }>('History', { room, after: 0, limit: 1000 }))

  after(async () => {
    for (const c of clients) c.close()
    for (const node of nodes) if (!node.hasExited) await node.stop('SIGTERM', 20_000).catch(() => undefined)
    for (const dir of dirs) await dir.remove()
  })

  it('should reach a subscriber on another node with a redaction, erase a user from every replica\'s store, and drop old records everywhere by retention', async () => {
    const keyDir = await tempDir()
    dirs.push(keyDir)
    const keyFile = join(keyDir.path, 'cluster.key')
    await writeFile(keyFile, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })
    const dataDirs = await Promise.all([0, 1, 2].map(async () => await tempDir()))
    dirs.push(...dataDirs)
    const a = await start(dataDirs[0]?.path as string, keyFile)
    const b = await start(dataDirs[1]?.path as string, keyFile, a)
    // c runs agents too: an erasure erases the user's agent wherever it lives
    const c = await start(dataDirs[2]?.path as string, keyFile, a, 'chat,storage,ai')
    const up = async (node: Running): Promise<boolean> => (await api<Array<{ status: string }>>(node, 'GET', '/nodes')).body.filter((m) => m.status === 'up').length === 3
    for (const node of [a, b, c]) await waitFor(() => up(node), 'three members up', { timeout: 30_000, interval: 100 })
    const tokenOf = async (name: string): Promise<string> => {
      const added = await runCli(['admin', 'users', 'add', name, '--json', '--no-save', '--admin-addr', a.admin, '--data-dir', a.dataDir])
      expect(added.code, added.stderr).to.equal(0)
      return (JSON.parse(added.stdout) as { token: string }).token
    }
    const alice = await tokenOf('alice')
    const bob = await tokenOf('bob')

    // alice posts in three rooms through a, bob through b; bob follows `talk` on c
    const aliceAtA = client(a, alice)
    const bobAtB = client(b, bob)
    const bobAtC = client(c, bob)
    const events: Array<Record<string, unknown>> = []
    await retried(async () => await bobAtC.call('Join', { room: 'talk' }))
    const stream = bobAtC.subscribe('talk', 0)
    stream.on('data', (e: Record<string, unknown>) => { events.push(e) })
    stream.on('error', () => undefined)
    await waitFor(() => events.some((e) => e.live != null), 'bob\'s stream live', { timeout: 20_000 })
    for (let i = 0; i < 60; i++) {
      const room = ['talk', 'ops', 'old'][i % 3] as string
      await retried(async () => await aliceAtA.call('Post', { room, text: `alice secret ${i} ~` }))
      await retried(async () => await bobAtB.call('Post', { room, text: `bob public ${i} ~` }))
    }
    // a room alice only joined (her erasure has her leave it), and one she never touched (her
    // erasure does not ask it: the search indexes of every replica say which rooms name her)
    await retried(async () => await aliceAtA.call('Join', { room: 'lounge' }))
    await retried(async () => await bobAtB.call('Post', { room: 'bobs', text: 'bob alone ~' }))

    // a redaction through a reaches bob's stream on c, and every node's history shows it
    const talk = (await history(aliceAtA, 'talk')).messages
    const first = talk.find((m) => m.text === 'alice secret 0 ~') as WireMessage
    const ack = await aliceAtA.call<{ seq: number, redactionSeq: number }>('Redact', { room: 'talk', seq: first.seq })
    await waitFor(() => events.some((e) => (e.redaction as { redacts?: number } | null | undefined)?.redacts === first.seq), 'the redaction on c\'s stream', { timeout: 20_000 })
    expect(events.find((e) => e.redaction != null)?.redaction).to.include({ room: 'talk', seq: ack.redactionSeq, by: 'alice' })
    for (const node of [a, b, c]) {
      const seen = (await history(client(node, bob), 'talk')).messages.find((m) => m.seq === first.seq)
      expect(seen, node.peerId).to.include({ text: '', redacted: true })
    }
    stream.cancel()

    // bob's own retention on `old`: the last 10 records, dropped on every replica
    expect((await api(b, 'PUT', '/rooms/old/retention', { setting: { posts: 10 } })).status).to.equal(200)
    const retention = await runCli(['admin', 'retention', 'run', '--admin-addr', c.admin, '--data-dir', c.dataDir], { timeout: 120_000 })
    expect(retention.code, retention.stderr).to.equal(0)
    for (const node of [a, b, c]) {
      const old = await history(client(node, bob), 'old')
      expect(old.retainedFrom, node.peerId).to.equal(31)
      expect(old.messages.map((m) => m.seq)).to.deep.equal(Array.from({ length: 10 }, (_, i) => 31 + i))
    }

    // an admin erases alice through b: every post of hers, on every node; her token refused
    const erase = await runCli(['admin', 'users', 'erase', 'alice', '--yes', '--admin-addr', b.admin, '--data-dir', b.dataDir], { timeout: 120_000 })
    expect(erase.code, erase.stderr).to.equal(0)
    expect(erase.stdout).to.match(/done: erased alice: \d+ posts redacted in 3 of 5 rooms \(4 asked\)/)
    const lounge = await history(client(b, bob), 'lounge')
    expect(lounge.messages.map((m) => [m.kind, m.user])).to.deep.equal([['JOIN', 'alice'], ['LEAVE', 'alice']])
    for (const node of [a, b, c]) {
      await waitFor(async () => await retried(async () => await chatClient(node.grpc, alice).call('ListRooms', {}).then(() => false, (err: { code?: number }) => err.code === 16)),
        `alice's token refused on ${node.peerId}`, { timeout: 20_000, interval: 200 })
      for (const room of ['talk', 'ops']) {
        const { messages } = await history(client(node, bob), room)
        expect(messages.filter((m) => m.user === 'alice' && m.kind === 'MESSAGE').every((m) => m.text === '' && m.redacted), `${room} on ${node.peerId}`).to.equal(true)
        expect(messages.filter((m) => m.user === 'bob' && m.kind === 'MESSAGE').every((m) => m.text.startsWith('bob public'))).to.equal(true)
      }
    }

    // every replica levels (anti-entropy takes the rewritten records to one that missed them),
    // then each node's store is read straight from its LevelDB
    const level = async (): Promise<boolean> => {
      const { body } = await api<Partition[]>(a, 'GET', '/partitions?limit=1000')
      return body.every((p) => p.replicas.length === 3 && new Set(p.replicas.map((r) => r.merkleRoot)).size === 1 && p.replicas.every((r) => r.merkleRoot !== null))
    }
    await waitFor(level, 'every partition\'s replicas level', { timeout: 60_000, interval: 250 })
    for (const node of [a, b, c]) await node.stop('SIGTERM', 20_000)
    for (const node of [a, b, c]) {
      const store = await LevelStore.open(join(node.dataDir, STORE_DIR))
      try {
        expect(await storeHits(store, 'alice secret'), `alice's text on ${node.peerId}`).to.equal(0)
        expect(await storeHits(store, 'bob public 59 ~'), `bob's last post on ${node.peerId}`).to.be.above(0)
        // `old` kept its last 10 records (31-40): bob's post at seq 30 is gone
        expect(await storeHits(store, 'bob public 44 ~'), `a trimmed record on ${node.peerId}`).to.equal(0)
      } finally {
        await store.close()
      }
    }
  })

  it('should never bring erased data back: a full restore of a backup made before the erasure writes no erased text and no erased token', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const made = await runCli(['backup', 'keygen', '--out', join(dir.path, 'backup.key'), '--json'])
    expect(made.code, made.stderr).to.equal(0)
    const node = await startNodeProcess(join(dir.path, 'data'), ['--role', 'chat,storage,backup,ai', '--backup-key-file', join(dir.path, 'backup.key')])
    const running = Object.assign(node, { peerId: 'solo', p2p: '' })
    nodes.push(running)
    const admin = async (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> =>
      await runCli(['admin', ...args, '--admin-addr', node.admin, '--data-dir', node.dataDir], { timeout: 120_000 })
    const tokens = await Promise.all(['carol', 'dave'].map(async (name) => (JSON.parse((await admin(['users', 'add', name, '--json', '--no-save'])).stdout) as { token: string }).token))
    const [carol, dave] = tokens as [string, string]
    const carolChat = client(running, carol)
    const daveChat = client(running, dave)
    for (let i = 0; i < 10; i++) {
      await carolChat.call('Post', { room: `vault-${i % 2}`, text: `carol private ${i} ~` })
      await daveChat.call('Post', { room: `vault-${i % 2}`, text: `dave public ${i} ~` })
    }
    const backup = await admin(['backup', 'create', '--json'])
    expect(backup.code, backup.stderr).to.equal(0)
    const id = (JSON.parse(backup.stdout.trim().split('\n').at(-1) as string) as { target: string }).target
    const erased = await admin(['users', 'erase', 'carol', '--yes'])
    expect(erased.code, erased.stderr).to.equal(0)
    // the whole backup back: rooms, the user directory, everything it holds
    const restored = await admin(['restore', id, '--json'])
    expect(restored.code, restored.stderr).to.equal(0)
    for (const room of ['vault-0', 'vault-1']) {
      const { messages } = await history(daveChat, room)
      expect(messages.filter((m) => m.user === 'carol').every((m) => m.text === '' && m.redacted), room).to.equal(true)
      expect(messages.filter((m) => m.user === 'dave').length).to.equal(5)
    }
    expect(await chatClient(node.grpc, carol).call('ListRooms', {}).then(() => 'accepted', (err: { code?: number }) => err.code)).to.equal(16)
    await node.stop('SIGTERM', 20_000)
    const store = await LevelStore.open(join(node.dataDir, STORE_DIR))
    try {
      expect(await storeHits(store, 'carol private'), 'carol\'s text in the store after the restore').to.equal(0)
      expect(await storeHits(store, 'dave public 9 ~')).to.be.above(0)
    } finally {
      await store.close()
    }
  })
})
