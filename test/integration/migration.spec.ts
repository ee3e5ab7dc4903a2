/**
 * Live migration on real node processes (issue 14): three chat+storage nodes (R = 3), clients
 * posting through one node and subscribed through another while the third is drained with
 * SIGTERM (its rooms move live to the others) and then started again (its rooms move back to
 * it). The invariants, each checked on its own: no acknowledged post is lost, none is stored
 * twice, each sender's posts keep their order, and every subscriber keeps its stream (no error,
 * no gap, no duplicate).
 */
import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type * as grpc from '@grpc/grpc-js'
import { NO_RATE_LIMITS, chatClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const FAILURE_TIMEOUT = 1_500
const ROOMS = Array.from({ length: 12 }, (_, i) => `mv${i}`)
const SENDERS = 3

interface Slot { node: NodeProcess, peerId: string, p2p: string, dir: string }
interface Posted { readonly sender: number, readonly room: string, readonly text: string, seq?: number }
interface Watch { readonly room: string, readonly seqs: number[], errors: string[], readonly stream: grpc.ClientReadableStream<{ message?: { seq: number | string }, live?: unknown }> }

describe('live migration on real processes (drain by SIGTERM, restart)', function () {
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
    ], 40_000)
    const ready = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    return { node, peerId: ready?.peerId as string, p2p: (ready?.p2p as string[])[0] as string, dir }
  }
  const api = async <T>(slot: Slot, path: string): Promise<T> => {
    const res = await fetch(`http://${slot.node.admin}/api/v1${path}`, { headers: { authorization: `Bearer ${slot.node.adminToken}` } })
    return await res.json() as T
  }
  const upCount = async (slot: Slot): Promise<number> => (await api<Array<{ status: string }>>(slot, '/nodes')).filter((m) => m.status === 'up').length

  before(async () => {
    const keyDir = await tempDir()
    dirs.push(keyDir)
    keyFile = join(keyDir.path, 'cluster.key')
    await writeFile(keyFile, (await runCli(['cluster', 'keygen'])).stdout)
    for (let i = 0; i < 3; i++) {
      const dir = await tempDir()
      dirs.push(dir)
      slots.push(await boot(dir.path, slots[0]?.p2p))
    }
    for (const s of slots) await waitFor(async () => await upCount(s) === 3, `${s.peerId} to see 3 members up`, { timeout: 30_000, interval: 100 })
    const added = await runCli(['admin', 'users', 'add', 'mover', '--json', '--no-save', '--admin-addr', slots[1]?.node.admin as string, '--data-dir', slots[1]?.node.dataDir as string])
    expect(added.code, added.stderr).to.equal(0)
    token = (JSON.parse(added.stdout) as { token: string }).token
  })

  after(async () => {
    for (const s of slots) await s.node.stop('SIGKILL', 20_000).catch(() => undefined)
    for (const d of dirs) await d.remove()
  })

  /** Senders post one after another (each waits for its ack) through `via`; any error is kept. */
  function load (tag: string, via: () => Slot): { posted: Posted[], errors: string[], acked: () => number, stop: () => Promise<void> } {
    const posted: Posted[] = []
    const errors: string[] = []
    let stopped = false
    const senders = Array.from({ length: SENDERS }, async (_, sender) => {
      const client = chatClient(via().node.grpc, token)
      try {
        for (let i = 0; !stopped && i < 5_000; i++) {
          const p: Posted = { sender, room: ROOMS[(i * 7 + sender) % ROOMS.length] as string, text: `${tag}-s${sender}-${i}` }
          posted.push(p)
          try {
            p.seq = Number((await client.call<{ seq: number | string }>('Post', { room: p.room, text: p.text, clientId: randomUUID() })).seq)
          } catch (err) {
            errors.push(`${p.text}: ${(err as Error).message}`)
          }
        }
      } finally {
        client.close()
      }
    })
    return {
      posted,
      errors,
      acked: () => posted.filter((p) => p.seq !== undefined).length,
      stop: async () => {
        stopped = true
        await Promise.all(senders)
      }
    }
  }

  /** Subscribes to every room through `slot` from the start; every seq and any stream error is kept. */
  function watch (slot: Slot): { watches: Watch[], close: () => void } {
    const client = chatClient(slot.node.grpc, token)
    const watches = ROOMS.map((room): Watch => {
      const stream = client.subscribe(room, 0)
      const w: Watch = { room, seqs: [], errors: [], stream }
      stream.on('data', (event) => { if (event.message !== undefined) w.seqs.push(Number(event.message.seq)) })
      stream.on('error', (err: Error) => { if (!/Cancelled/i.test(err.message)) w.errors.push(err.message) })
      return w
    })
    return { watches, close: () => { for (const w of watches) w.stream.cancel(); client.close() } }
  }

  async function history (slot: Slot, room: string): Promise<Array<{ seq: number, text: string }>> {
    const client = chatClient(slot.node.grpc, token)
    try {
      const out: Array<{ seq: number, text: string }> = []
      for (;;) {
        const page = await client.call<{ messages?: Array<{ seq: number | string, text: string }> }>('History', { room, after: out.at(-1)?.seq ?? 0, limit: 1000 })
        for (const m of page.messages ?? []) out.push({ seq: Number(m.seq), text: m.text })
        if ((page.messages ?? []).length < 1000) return out
      }
    } finally {
      client.close()
    }
  }

  /** The invariants, after the load stopped: through `readers`, and on `watches`. */
  async function check (posted: Posted[], errors: string[], watches: Watch[], readers: Slot[]): Promise<void> {
    expect(errors, 'errors seen by the posting clients').to.deep.equal([])
    for (const w of watches) expect(w.errors, `subscription to ${w.room}`).to.deep.equal([])
    for (const room of ROOMS) {
      const mine = posted.filter((p) => p.room === room && p.seq !== undefined)
      const histories = await Promise.all(readers.map(async (r) => await history(r, room)))
      const first = histories[0] ?? []
      for (const h of histories) expect(h, `room ${room}: the same history on every node`).to.deep.equal(first)
      // every acknowledged post once, at its seq; nothing else
      expect(first.map((m) => m.seq), `room ${room}: seqs without a gap`).to.deep.equal(first.map((_, i) => i + 1))
      const bySeq = new Map(first.map((m) => [m.seq, m.text]))
      for (const p of mine) expect(bySeq.get(p.seq as number), `room ${room}: ${p.text} at its acknowledged seq`).to.equal(p.text)
      expect(new Set(first.map((m) => m.text)).size, `room ${room}: no post stored twice`).to.equal(first.length)
      // each sender's posts in the order it sent them
      for (let s = 0; s < SENDERS; s++) {
        const seqs = mine.filter((p) => p.sender === s).map((p) => p.seq as number)
        expect(seqs, `room ${room}: sender ${s}'s order`).to.deep.equal([...seqs].sort((a, b) => a - b))
      }
      // the subscriber got every message once, in order, with no gap
      const w = watches.find((x) => x.room === room) as Watch
      await waitFor(() => w.seqs.length >= first.length, `the subscriber of ${room} to get all ${first.length} messages`, { timeout: 20_000, interval: 50 })
      expect(w.seqs, `room ${room}: what its subscriber got`).to.deep.equal(first.map((m) => m.seq))
    }
  }

  it('should move a draining node\'s rooms live: no post lost, repeated or reordered, no stream cut', async () => {
    const [drained, via, watched] = slots as [Slot, Slot, Slot]
    const { watches, close } = watch(watched)
    try {
      const { posted, errors, acked, stop } = load('drain', () => via)
      await waitFor(() => acked() >= 150, '150 posts acknowledged', { timeout: 60_000, interval: 20 })
      const before = acked()
      // SIGTERM: the node drains (its rooms move live to the others) and exits
      const exit = await drained.node.stop('SIGTERM', 60_000)
      expect(exit.code, 'exit code after the drain').to.equal(0)
      const report = drained.node.logs.find((l) => typeof l.msg === 'string' && /^drain: \d+ entities moved/.test(l.msg))
      expect(report, 'the drain report').to.not.equal(undefined)
      expect(report?.moved as number, 'rooms moved off the drained node').to.be.greaterThan(0)
      expect(report?.outcomes, 'every move live (none recovered cold, none failed)').to.deep.equal({ moved: report?.moved })
      await waitFor(() => acked() >= before + 150, '150 posts acknowledged after the drain', { timeout: 60_000, interval: 20 })
      await stop()
      await check(posted, errors, watches, [via, watched])
    } finally {
      close()
    }
  })

  it('should move rooms back to a node that starts again, live, losing nothing', async () => {
    const [, via, watched] = slots as [Slot, Slot, Slot]
    const { watches, close } = watch(watched)
    try {
      const { posted, errors, acked, stop } = load('restart', () => via)
      await waitFor(() => acked() >= 100, '100 posts acknowledged', { timeout: 60_000, interval: 20 })
      const restarted = await boot(slots[0]?.dir as string, via.p2p)
      slots[0] = restarted
      for (const s of slots) await waitFor(async () => await upCount(s) === 3, `${s.peerId} to see 3 members up`, { timeout: 30_000, interval: 100 })
      // its share of the rooms comes back to it
      await waitFor(async () => (await api<Array<{ node: string }>>(via, '/actors?type=room')).some((a) => a.node === restarted.peerId),
        'rooms on the restarted node', { timeout: 30_000, interval: 100 })
      const at = acked()
      await waitFor(() => acked() >= at + 150, '150 posts acknowledged after the restart', { timeout: 60_000, interval: 20 })
      await stop()
      // the rooms came back live: the others moved them (a rebalance, or claimed by the restarted node)
      const moves = await Promise.all([via, watched].map(async (s) => await (await fetch(`http://${s.node.admin}/metrics`)).text()))
      const count = (outcome: string): number => moves.flatMap((m) => [...m.matchAll(new RegExp(`^plexi_migrations_total\\{trigger="(rebalance|claim)",outcome="${outcome}"\\} (\\d+)`, 'gm'))]).reduce((sum, m) => sum + Number(m[2]), 0)
      expect(count('moved'), 'rooms moved back live').to.be.greaterThan(0)
      expect(count('cold') + count('failed'), 'moves that were not live').to.equal(0)
      await check(posted, errors, watches, slots)
    } finally {
      close()
    }
  })
})
