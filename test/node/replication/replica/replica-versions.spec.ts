import { expect } from 'chai'
import { EntityLog, InvalidReplicaReplyError, InvalidReplicaRequestError, ReplicaCore, checkReplicaReply, checkReplicaRequest } from '../../../../node/index.ts'
import type { ReplicaRequest } from '../../../../node/index.ts'
import { entitiesOf, recs, replicaDisks } from '../fixtures/replica-disks.ts'
import { posts, useReplicaSet } from '../fixtures/replica-set.ts'

// Configuration versions on a replica (docs/replication.md, "Roster versions"): real LevelDB in a
// temp dir, the replica core as a shard holder runs it.
describe('replica configuration versions', () => {
  const disks = replicaDisks(16)
  afterEach(async () => { await disks.cleanup() })

  it('should serve requests without a version as before while the partition never stored one', async () => {
    const { core, storage } = await disks.open()
    const [entity] = entitiesOf(storage, 3, 1) as [string]
    expect(await core.handle({ op: 'fence', entity, epoch: 1, activation: 'a1' })).to.include({ ok: true })
    expect(await core.handle({ op: 'append', entity, epoch: 1, activation: 'a1', prevSeq: 0, prevEpoch: 0, records: recs(1, 2, 1) })).to.include({ result: 'ok' })
    expect(await core.versions.of(3)).to.equal(0)
    expect(core.stats.versionRefusals).to.equal(0)
  })

  it('should keep the highest version shown, durably, and refuse older ones and none with it', async () => {
    const raised: Array<[number, number]> = []
    const disk = await disks.open()
    const core = new ReplicaCore(disk.storage, { versionRaised: (p, v) => { raised.push([p, v]) } })
    const [entity, sibling] = entitiesOf(disk.storage, 5, 2) as [string, string]
    const [elsewhere] = entitiesOf(disk.storage, 6, 1) as [string]
    expect(await core.handle({ op: 'fence', entity, epoch: 1, activation: 'a1', version: 2 })).to.include({ ok: true })
    expect(raised).to.deep.equal([[5, 2]])
    // an owner of version 1, of another entity of the same partition too: refused, told version 2
    expect(await core.handle({ op: 'fence', entity: sibling, epoch: 4, activation: 'b4', version: 1 })).to.deep.equal({ ok: false, promised: 4, version: 2 })
    expect(await core.handle({ op: 'append', entity, epoch: 1, activation: 'a1', prevSeq: 0, prevEpoch: 0, records: recs(1, 1, 1), version: 1 })).to.deep.equal({ result: 'stale', promised: 1, version: 2 })
    // a request without a version counts as version 0
    expect(await core.handle({ op: 'lease', entity, epoch: 1, activation: 'a1', holder: 'a1' })).to.deep.equal({ result: 'stale', promised: 1, version: 2 })
    expect(await core.handle({ op: 'truncate', entity, epoch: 1, activation: 'a1', after: 0, afterEpoch: 0 })).to.deep.equal({ result: 'stale', promised: 1, version: 2 })
    expect(core.stats.versionRefusals).to.equal(4)
    // the version's own owner is served; reads, summaries and saved snapshots carry none and are served
    expect(await core.handle({ op: 'append', entity, epoch: 1, activation: 'a1', prevSeq: 0, prevEpoch: 0, records: recs(1, 2, 1), version: 2 })).to.include({ result: 'ok' })
    expect(await core.handle({ op: 'read', entity, from: 1, limit: 10 })).to.have.length(2)
    expect((await core.handle({ op: 'summary', entity })).head).to.equal(2)
    expect(await core.handle({ op: 'save-snapshot', entity, epoch: 1, snapshot: { seq: 2, state: {} } })).to.deep.equal({ result: 'ok' })
    // another partition is not touched
    expect(await core.handle({ op: 'fence', entity: elsewhere, epoch: 1, activation: 'c1' })).to.include({ ok: true })
    // a newer version raises it; nothing lowers it
    expect(await core.handle({ op: 'fence', entity: sibling, epoch: 5, activation: 'b5', version: 3 })).to.include({ ok: true })
    expect(await core.handle({ op: 'append', entity, epoch: 1, activation: 'a1', prevSeq: 2, prevEpoch: 1, records: recs(3, 3, 1), version: 2 })).to.deep.equal({ result: 'stale', promised: 1, version: 3 })
    expect(raised).to.deep.equal([[5, 2], [5, 3]])
    // kept across a restart
    const again = await disks.reopen(disk)
    expect(await again.core.versions.of(5)).to.equal(3)
    expect(await again.core.versions.of(6)).to.equal(0)
    expect(await again.core.handle({ op: 'fence', entity, epoch: 9, activation: 'a9', version: 2 })).to.deep.equal({ ok: false, promised: 9, version: 3 })
  })

  it('should have the version on disk before the request that raised it is answered', async () => {
    const disk = await disks.open()
    const [entity] = entitiesOf(disk.storage, 1, 1) as [string]
    expect(await disk.core.handle({ op: 'fence', entity, epoch: 1, activation: 'a1', version: 7 })).to.include({ ok: true })
    const copy = await disks.crashed(disk)
    expect(await copy.core.versions.of(1)).to.equal(7)
  })

  it('should serve requests of one partition that arrive while its version is being raised only after it is stored', async () => {
    const { core, storage } = await disks.open()
    const [a, b] = entitiesOf(storage, 2, 2) as [string, string]
    const replies = await Promise.all([
      core.handle({ op: 'fence', entity: a, epoch: 1, activation: 'a1', version: 4 }),
      core.handle({ op: 'fence', entity: b, epoch: 1, activation: 'b1', version: 3 }),
      core.handle({ op: 'fence', entity: b, epoch: 2, activation: 'b2', version: 4 })
    ])
    expect(replies.map((r) => r.ok)).to.deep.equal([true, false, true])
    expect(replies[1]).to.deep.equal({ ok: false, promised: 1, version: 4 })
    expect(await core.versions.of(2)).to.equal(4)
  })

  it('should refuse a version that is not a positive safe integer, or on a request that takes none, and change nothing', async () => {
    const { core, storage } = await disks.open()
    const [entity] = entitiesOf(storage, 4, 1) as [string]
    const bad: unknown[] = [
      { op: 'fence', entity, epoch: 1, activation: 'a1', version: 0 },
      { op: 'fence', entity, epoch: 1, activation: 'a1', version: -1 },
      { op: 'append', entity, epoch: 1, activation: 'a1', prevSeq: 0, prevEpoch: 0, records: recs(1, 1, 1), version: 1.5 },
      { op: 'lease', entity, epoch: 1, activation: 'a1', holder: 'a1', version: '2' },
      { op: 'trim', entity, epoch: 1, activation: 'a1', before: 2, prevEpoch: 1, version: 2 ** 53 },
      { op: 'read', entity, from: 1, limit: 1, version: 2 },
      { op: 'save-snapshot', entity, epoch: 1, snapshot: { seq: 1, state: {} }, version: 2 }
    ]
    for (const request of bad) expect(() => checkReplicaRequest(request)).to.throw(InvalidReplicaRequestError, /version/)
    expect(await core.versions.of(4)).to.equal(0)
    expect(checkReplicaRequest({ op: 'rewrite', entity, epoch: 2, activation: 'a2', gen: 1, records: [{ seq: 1, epoch: 1, rev: 1, revEpoch: 2, event: {} }], version: 3 })).to.include({ version: 3 })
  })

  it('should refuse a reply whose version is not a positive safe integer', () => {
    const append: ReplicaRequest = { op: 'append', entity: 'room/x', epoch: 1, activation: 'a1', prevSeq: 0, prevEpoch: 0, records: recs(1, 1, 1) }
    const fence: ReplicaRequest = { op: 'fence', entity: 'room/x', epoch: 1, activation: 'a1' }
    expect(checkReplicaReply(append, { result: 'stale', promised: 1, version: 2 })).to.deep.equal({ result: 'stale', promised: 1, version: 2 })
    expect(checkReplicaReply(fence, { ok: false, promised: 1, version: 2 })).to.deep.equal({ ok: false, promised: 1, version: 2 })
    expect(() => checkReplicaReply(append, { result: 'stale', promised: 1, version: 0 })).to.throw(InvalidReplicaReplyError)
    expect(() => checkReplicaReply(fence, { ok: false, promised: 1, version: 'x' })).to.throw(InvalidReplicaReplyError)
    expect(() => checkReplicaReply({ op: 'lease', entity: 'room/x', epoch: 1, activation: 'a1', holder: 'a1' }, { result: 'stale', promised: 1, version: -3 })).to.throw(InvalidReplicaReplyError)
  })
})

describe('an owner under a configuration version', () => {
  const set = useReplicaSet(['x', 'y', 'z'])

  it('should carry its version in what it asks, and be refused and told by replicas that stored a newer one', async () => {
    const seen: number[] = []
    const asked: string[] = []
    const env = { ...set.env, call: async (node: string, request: ReplicaRequest) => { asked.push(`${request.op} ${(request as { version?: number }).version}`); return await set.env.call(node, request) } } as typeof set.env
    const opts = { entityId: 'room/v', replicas: ['x', 'y', 'z'], writeQuorum: 2, env, newerVersion: (v: number) => { seen.push(v) } }
    const first = await EntityLog.open({ ...opts, activation: 'v1', version: 1 })
    await first.append(posts(1, 3))
    const versioned = new Set(['fence', 'append', 'append-sealed', 'truncate', 'lease', 'rewrite', 'trim'])
    expect(asked).to.include.members(['fence 1', 'append 1'])
    for (const a of asked) expect(a).to.equal(`${a.split(' ')[0] as string} ${versioned.has(a.split(' ')[0] as string) ? 1 : undefined}`)
    // a newer owner under version 2 takes it; the old one's next write is refused and it stops
    const second = await EntityLog.open({ ...opts, activation: 'v2', version: 2 })
    expect(second.head).to.equal(3)
    await first.append(posts(4, 4)).then(() => { throw new Error('the older owner wrote past the newer version') }, () => {})
    expect(first.failed).to.not.equal(undefined)
    // an owner still planned under version 1 cannot take it: its node learns version 2 from the
    // refusals, and the take, seeing its plan stale, lets go
    expect(seen).to.include(2)
    seen.length = 0
    const err = await EntityLog.open({ ...opts, activation: 'v1b', version: 1, stale: () => seen.includes(2) }).then(() => undefined, (e: unknown) => e)
    expect((err as Error).name).to.equal('RosterChangedError')
    expect(seen.length).to.be.greaterThan(0)
    expect(seen.every((v) => v === 2)).to.equal(true)
    for (const core of set.cores.values()) expect(core.stats.versionRefusals).to.be.greaterThan(0)
    await second.append(posts(4, 5))
    expect(second.head).to.equal(5)
  })

  it('should send a write again under the version it carries now when a replica refused it for that version (its own move\'s fence got there first), and go on', async () => {
    const seen: number[] = []
    let carried = 1
    let raced = false
    let epoch = 0
    const env = {
      ...set.env,
      call: async (node: string, request: ReplicaRequest) => {
        if (!raced && request.op === 'append' && node === 'x') {
          raced = true
          // the log moves to version 2 while this append (under 1) is on its way, and its move's
          // fence (the same epoch and activation, under 2) reaches x first
          carried = 2
          expect((await set.env.call('x', { op: 'fence', entity: 'room/w', epoch, activation: 'w1', version: 2 })).ok).to.equal(true)
        }
        return await set.env.call(node, request)
      }
    } as typeof set.env
    const log = await EntityLog.open({ entityId: 'room/w', replicas: ['x', 'y', 'z'], writeQuorum: 3, env, activation: 'w1', version: () => carried, newerVersion: (v: number) => { seen.push(v) } })
    epoch = log.epoch
    await log.append(posts(1, 2))
    expect(raced).to.equal(true)
    expect(log.failed).to.equal(undefined)
    expect(seen, 'no newer owner told of').to.deep.equal([])
    // (W = 3: x took it, under version 2)
    expect(log.committed).to.equal(2)
    expect((await set.env.call('x', { op: 'summary', entity: 'room/w' })).head).to.equal(2)
    await log.append(posts(3, 3))
    expect(log.committed).to.equal(3)
  })
})
