/**
 * An admin's moves on real node processes (issue 14): one room migrated live to a member of the
 * admin's choice (and kept there: every member's placement follows the pin), a member drained
 * through another member's admin endpoint, and one decommissioned (its storage partitions handed
 * off, the cluster forgets it, its data dir refuses to start again), all as jobs, while clients
 * post without an error. Four chat+storage nodes, replication factor 3.
 */
import { awaitCaughtUp } from '../helpers/caught-up.ts'
import type { CatchUpRow } from '../helpers/caught-up.ts'
import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { loadPeerIdentity } from '../../node/identity/index.ts'
import { rendezvousOwner } from '../../node/mesh/index.ts'
import type { Job } from '../../protocols/index.ts'
import { NO_RATE_LIMITS, chatClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const FAILURE_TIMEOUT = 1_500
const ROOMS = Array.from({ length: 8 }, (_, i) => `am${i}`)

interface Slot { node: NodeProcess, peerId: string, p2p: string, dir: string }

describe('admin moves on real processes (migrate, drain, decommission)', function () {
  this.timeout(240_000)
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const slots: Slot[] = []
  let keyFile = ''
  let token = ''

  async function boot (dir: string, join: string | undefined): Promise<Slot> {
    const node = await startNodeProcess(dir, [
      '--role', 'chat,storage', '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0',
      '--failure-timeout', String(FAILURE_TIMEOUT), '--shutdown-timeout', '3000', ...NO_RATE_LIMITS,
      ...(join === undefined ? [] : ['--join', join])
    ])
    const ready = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    return { node, peerId: ready?.peerId as string, p2p: (ready?.p2p as string[])[0] as string, dir }
  }
  const request = async (slot: Slot, method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => {
    const res = await fetch(`http://${slot.node.admin}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${slot.node.adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) })
    })
    return { status: res.status, body: await res.json() }
  }
  const api = async <T>(slot: Slot, path: string): Promise<T> => (await request(slot, 'GET', path)).body as T
  const upCount = async (slot: Slot): Promise<number> => (await api<Array<{ status: string }>>(slot, '/nodes')).filter((m) => m.status === 'up').length
  const admin = (slot: Slot, args: string[]) => runCli(['admin', ...args, '--admin-addr', slot.node.admin, '--data-dir', slot.node.dataDir], { timeout: 120_000 })
  const ownerOf = async (slot: Slot, room: string): Promise<string> => (await api<{ node: string }>(slot, `/actors/room/${room}`)).node

  before(async () => {
    const keyDir = await tempDir()
    dirs.push(keyDir)
    keyFile = join(keyDir.path, 'cluster.key')
    await writeFile(keyFile, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })
    for (let i = 0; i < 4; i++) {
      const dir = await tempDir()
      dirs.push(dir)
      slots.push(await boot(dir.path, slots[0]?.p2p))
    }
    for (const s of slots) await waitFor(async () => await upCount(s) === 4, `${s.peerId} to see 4 members up`, { timeout: 30_000, interval: 100 })
    await awaitCaughtUp(async () => await api<CatchUpRow[]>(slots[0] as Slot, '/storage'), undefined, slots.map((s) => s.peerId))
    const added = await runCli(['admin', 'users', 'add', 'mover', '--json', '--no-save', '--admin-addr', slots[0]?.node.admin as string, '--data-dir', slots[0]?.node.dataDir as string])
    expect(added.code, added.stderr).to.equal(0)
    token = (JSON.parse(added.stdout) as { token: string }).token
  })

  after(async () => {
    for (const s of slots) await s.node.stop('SIGKILL', 20_000).catch(() => undefined)
    for (const d of dirs) await d.remove()
  })

  /** One sender posting to every room of `rooms` in turn through `via` (each post waits for its ack). */
  function load (via: Slot, rooms: readonly string[] = ROOMS): { errors: string[], acked: Array<{ room: string, text: string, seq: number }>, stop: () => Promise<void> } {
    const errors: string[] = []
    const acked: Array<{ room: string, text: string, seq: number }> = []
    let stopped = false
    const client = chatClient(via.node.grpc, token)
    const run = (async () => {
      for (let i = 0; !stopped && i < 20_000; i++) {
        const room = rooms[i % rooms.length] as string
        const text = `p${i}-${randomUUID().slice(0, 8)}`
        try {
          acked.push({ room, text, seq: Number((await client.call<{ seq: number | string }>('Post', { room, text, clientId: randomUUID() })).seq) })
        } catch (err) {
          errors.push(`${text}: ${(err as Error).message}`)
        }
      }
    })()
    return { errors, acked, stop: async () => { stopped = true; await run; client.close() } }
  }

  async function history (slot: Slot, room: string): Promise<Array<{ seq: number, text: string }>> {
    const client = chatClient(slot.node.grpc, token)
    try {
      const page = await client.call<{ messages?: Array<{ seq: number | string, text: string }> }>('History', { room, after: 0, limit: 1000 })
      return (page.messages ?? []).map((m) => ({ seq: Number(m.seq), text: m.text }))
    } finally {
      client.close()
    }
  }

  /** Every acknowledged post once at its seq, the same history through every reader. */
  async function checkHistories (acked: Array<{ room: string, text: string, seq: number }>, readers: Slot[], rooms: readonly string[] = ROOMS): Promise<void> {
    for (const room of rooms) {
      const histories = await Promise.all(readers.map(async (r) => await history(r, room)))
      for (const h of histories) expect(h, `room ${room}: the same history on every node`).to.deep.equal(histories[0])
      const bySeq = new Map((histories[0] ?? []).map((m) => [m.seq, m.text]))
      for (const p of acked.filter((a) => a.room === room)) expect(bySeq.get(p.seq), `room ${room}: ${p.text} at its acknowledged seq`).to.equal(p.text)
      expect(new Set((histories[0] ?? []).map((m) => m.text)).size, `room ${room}: no post twice`).to.equal(histories[0]?.length)
    }
  }

  it('should refuse bad migrations with a clear error, changing nothing', async () => {
    const [a] = slots as [Slot]
    const bad = [
      [await request(a, 'POST', '/actors/nope/x/migrate', { to: a.peerId }), 404, 'UNKNOWN_ENTITY_TYPE'],
      [await request(a, 'POST', '/actors/room/x/migrate', { to: '12D3KooWNotAMemberNotAMemberNotAMemberNotAMember' }), 404, 'UNKNOWN_PEER'],
      [await request(a, 'POST', '/actors/room/x/migrate', { to: a.peerId, extra: 1 }), 400, 'FST_ERR_VALIDATION'],
      [await request(a, 'POST', '/actors/room/x/migrate', {}), 400, 'FST_ERR_VALIDATION'],
      [await request(a, 'POST', `/nodes/${a.peerId}/drain`), 409, 'LEAVE_REFUSED'],
      [await request(a, 'POST', '/nodes/12D3KooWNotAMemberNotAMemberNotAMemberNotAMember/decommission'), 404, 'UNKNOWN_PEER']
    ] as const
    for (const [res, status, code] of bad) {
      expect(res.status, JSON.stringify(res.body)).to.equal(status)
      expect(res.body.code).to.equal(code)
    }
    const cli = await admin(a, ['migrate', 'room-without-slash', '--to', a.peerId])
    expect(cli.code).to.equal(2)
    expect(cli.stderr).to.match(/TYPE\/KEY/)
    expect((await api<{ jobs: Job[] }>(a, '/jobs?kind=migrate')).jobs, 'no job started').to.deep.equal([])
    expect(slots.every((s) => s.node.logs.every((l) => l.level !== 50 && l.level !== 60)), 'no error logged').to.equal(true)
  })

  it('should migrate a room live to the member an admin names, and every member send its messages there', async () => {
    const [a, b] = slots as [Slot, Slot]
    const { errors, acked, stop } = load(a)
    await waitFor(() => acked.length >= 40, '40 posts acknowledged', { timeout: 60_000, interval: 20 })
    // a room B does not own; the move is asked through A
    const owners = await Promise.all(ROOMS.map(async (r) => [r, await ownerOf(a, r)] as const))
    const [room] = owners.find(([, o]) => o !== b.peerId) as readonly [string, string]
    const moved = await admin(a, ['migrate', `room/${room}`, '--to', b.peerId, '--json'])
    expect(moved.code, moved.stderr).to.equal(0)
    const final = JSON.parse(moved.stdout.trim().split('\n').at(-1) as string) as Job
    expect(final.kind).to.equal('migrate')
    expect(final.state).to.equal('done')
    // from the owner it had then: not necessarily the one looked up above, since a member that
    // settled meanwhile (members take entities once settled) may have taken the room first
    const [, movedFrom] = /moved live from (\S+) to /.exec(final.message ?? '') ?? []
    expect(final.message).to.match(new RegExp(`moved live from \\S+ to ${b.peerId}`))
    expect(slots.map((s) => s.peerId).filter((p) => p !== b.peerId)).to.include(movedFrom)
    // every member's placement follows the pin
    for (const s of slots) await waitFor(async () => await ownerOf(s, room) === b.peerId, `${s.peerId} to place ${room} on ${b.peerId}`, { timeout: 20_000, interval: 100 })
    const at = acked.length
    await waitFor(() => acked.length >= at + 40, '40 more posts acknowledged', { timeout: 60_000, interval: 20 })
    await stop()
    expect(errors, `errors seen by the posting client: ${errors.join('; ')}`).to.deep.equal([])
    const rows = await api<Array<{ node: string, key: string | null }>>(a, '/actors?type=room&limit=1000')
    expect(rows.filter((r) => r.key === room).map((r) => r.node), `${room} is active on ${b.peerId} only`).to.deep.equal([b.peerId])
    await checkHistories(acked, slots)
  })

  it('should decommission a member: its rooms move live, its partitions are handed off, the cluster forgets it and its data dir refuses to start', async () => {
    const [a, b, c, d] = slots as [Slot, Slot, Slot, Slot]
    const { errors, acked, stop } = load(a)
    await waitFor(() => acked.length >= 40, '40 posts acknowledged', { timeout: 60_000, interval: 20 })
    const out = await admin(b, ['decommission', d.peerId, '--json'])
    expect(out.code, out.stderr).to.equal(0)
    const final = JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as Job
    expect(final.kind).to.equal('decommission')
    expect(final.state, final.message).to.equal('done')
    expect((await d.node.exited).code, 'the decommissioned node exits cleanly').to.equal(0)
    const handOff = d.node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('hand-off done'))
    expect(handOff?.partitions as number, 'partitions handed off before it left').to.be.greaterThan(0)
    const at = acked.length
    await waitFor(() => acked.length >= at + 40, '40 more posts acknowledged', { timeout: 60_000, interval: 20 })
    await stop()
    expect(errors, `errors seen by the posting client: ${errors.join('; ')}`).to.deep.equal([])
    for (const s of [a, b, c]) {
      await waitFor(async () => !(await api<Array<{ peerId: string }>>(s, '/nodes')).some((m) => m.peerId === d.peerId), `${s.peerId} to forget ${d.peerId}`, { timeout: 20_000, interval: 100 })
      // (the roster forgets it with its next version: the keeper's node proposes it)
      await waitFor(async () => !(await api<Array<{ peerId: string }>>(s, '/storage')).some((r) => r.peerId === d.peerId), `${s.peerId}'s storage nodes to forget ${d.peerId}`, { timeout: 20_000, interval: 100 })
    }
    await checkHistories(acked, [a, b, c])
    // it left for good: its data dir does not start a node again
    const again = await runCli(['node', 'start', '--role', 'chat,storage', '--data-dir', d.dir, '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', '--join', a.p2p], { timeout: 30_000 })
    expect(again.code).to.not.equal(0)
    expect(again.stdout + again.stderr).to.match(/decommissioned/)
    slots.pop()
    // three storage nodes are left for replication factor 3: one more decommission is refused
    const refused = await request(a, 'POST', `/nodes/${c.peerId}/decommission`)
    expect(refused.status, JSON.stringify(refused.body)).to.equal(409)
    expect(refused.body.message).to.match(/replication-factor 3/)
  })

  it('should drain a member through another member\'s admin endpoint: its rooms move live, then it exits', async () => {
    const [a, , c] = slots as [Slot, Slot, Slot]
    // rooms placement gives the drained member (peer ids are random: it might own none of the 8,
    // and then it would move nothing and report nothing)
    const members = await api<Array<{ peerId: string, roles: string[], capacity: number, status: string }>>(a, '/nodes')
    const candidates = members.filter((m) => m.status === 'up' && m.roles.includes('chat'))
    const draining = Array.from({ length: 200 }, (_, i) => `amd${i}`).filter((r) => rendezvousOwner(`room/${r}`, candidates) === c.peerId).slice(0, 2)
    expect(draining, 'rooms placement gives the drained member').to.have.length(2)
    const rooms = [...ROOMS, ...draining]
    const { errors, acked, stop } = load(a, rooms)
    await waitFor(() => acked.length >= 40, '40 posts acknowledged', { timeout: 60_000, interval: 20 })
    const started = await request(a, 'POST', `/nodes/${c.peerId}/drain`)
    expect(started.status, JSON.stringify(started.body)).to.equal(202)
    const job = started.body as Job
    expect(job.kind).to.equal('drain')
    expect(job.target).to.equal(c.peerId)
    const exit = await c.node.exited
    expect(exit.code, 'the drained node exits cleanly').to.equal(0)
    const report = c.node.logs.find((l) => typeof l.msg === 'string' && /^drain: \d+ entities moved/.test(l.msg))
    expect(report?.outcomes, 'every move live').to.deep.equal({ moved: report?.moved })
    let final: Job | undefined
    await waitFor(async () => (final = (await request(a, 'GET', `/jobs/${job.id}`)).body as Job).state !== 'running', 'the drain job to end', { timeout: 30_000, interval: 100 })
    expect(final?.state, final?.message).to.equal('done')
    expect(final?.done).to.equal(final?.total)
    const at = acked.length
    await waitFor(() => acked.length >= at + 40, '40 more posts acknowledged', { timeout: 60_000, interval: 20 })
    await stop()
    expect(errors, `errors seen by the posting client: ${errors.join('; ')}`).to.deep.equal([])
    await checkHistories(acked, [a, slots[1] as Slot], rooms)
  })

  it('should move a joining member\'s share to it live, as rebalance jobs on the members that held it', async () => {
    const [a, b] = slots as [Slot, Slot]
    // the new member's peer id before it starts (its key made in its data dir), so that the load
    // has rooms placement will give it (peer ids are random: the 8 rooms might all stay put)
    const dir = await tempDir()
    dirs.push(dir)
    const { peerId } = await loadPeerIdentity(dir.path)
    const members = await api<Array<{ peerId: string, roles: string[], capacity: number, status: string }>>(a, '/nodes')
    const candidates = [...members.filter((m) => m.status === 'up'), { peerId, roles: ['chat', 'storage'], capacity: members[0]?.capacity ?? 1 }]
    const joining = Array.from({ length: 200 }, (_, i) => `amj${i}`).filter((r) => rendezvousOwner(`room/${r}`, candidates) === peerId).slice(0, 2)
    expect(joining, 'rooms placement gives the new member').to.have.length(2)
    const rooms = [...ROOMS, ...joining]
    const { errors, acked, stop } = load(a, rooms)
    await waitFor(() => acked.length >= 40, '40 posts acknowledged', { timeout: 60_000, interval: 20 })
    const e = await boot(dir.path, a.p2p)
    expect(e.peerId).to.equal(peerId)
    slots.push(e)
    await waitFor(async () => (await api<Array<{ node: string, key: string | null }>>(a, '/actors?type=room&limit=1000')).filter((r) => r.key !== null && joining.includes(r.key) && r.node === e.peerId).length === joining.length, 'the new member\'s rooms on it', { timeout: 30_000, interval: 100 })
    let jobs: Job[] = []
    await waitFor(async () => (jobs = (await api<{ jobs: Job[] }>(a, '/jobs?kind=rebalance')).jobs).length > 0 && jobs.every((j) => j.state !== 'running'), 'rebalance jobs that ended', { timeout: 30_000, interval: 100 })
    for (const job of jobs) {
      expect(job.state, job.message).to.equal('done')
      expect(job.total).to.be.greaterThan(0)
      expect(job.done, job.message).to.equal(job.total)
      expect([a.peerId, b.peerId]).to.include(job.node)
    }
    const at = acked.length
    await waitFor(() => acked.length >= at + 40, '40 more posts acknowledged', { timeout: 60_000, interval: 20 })
    await stop()
    expect(errors, `errors seen by the posting client: ${errors.join('; ')}`).to.deep.equal([])
    await checkHistories(acked, [a, b, e], rooms)
  })
})
