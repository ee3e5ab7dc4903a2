import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, ReplicatedJournal } from '../../../../node/index.ts'
import type { PartitionVersions } from '../../../../node/replication/journal/partition-versions.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

const events = (from: number, to: number): Array<{ seq: number, event: { n: number } }> =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, event: { n: from + i } }))

/** Another room of the partition `entity` is in (an owner elsewhere takes it). */
function sibling (storage: LevelReplicaStorage, entity: string): string {
  const p = storage.partitionOf(entity)
  for (let i = 0; ; i++) if (storage.partitionOf(`room/s${i}`) === p && `room/s${i}` !== entity) return `room/s${i}`
}

/** Two nodes' replicas (real LevelDB each), a journal on the first whose partitions' configuration
 * versions the test sets, and the refusals it was told of. */
async function twoNodes (versionWaitMs?: number): Promise<{
  journal: ReplicatedJournal
  other: ReplicatedJournal
  stores: LevelStore[]
  versions: PartitionVersions & { now: number | 'unknown' | undefined, told: number[], earlier: Array<{ version: number, nodes: string[] }> }
  stats: { handOvers: number, handOversRefused: number, opens: number }
  /** The other node out of reach (its replica's requests fail). */
  cut: { other: boolean }
  close: () => Promise<void>
}> {
  const dirs = await Promise.all([tempDir(), tempDir()])
  const stores = await Promise.all(dirs.map((d) => LevelStore.open(d.path)))
  const [a, b] = await Promise.all(stores.map((s) => LevelReplicaStorage.open(s)))
  const roster = (): Array<{ peerId: string, roles: string[], capacity: number }> => ['me', 'other'].map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
  const versions = {
    now: 3 as number | 'unknown' | undefined,
    told: [] as number[],
    of (): number | 'unknown' | undefined { return this.now },
    newer (_partition: number, version: number): void { this.told.push(version) },
    // (every hand-off settled, unless a test records one: owners fence their set alone)
    earlier: [] as Array<{ version: number, nodes: string[] }>,
    earlierOf (): Array<{ version: number, nodes: string[] }> { return this.earlier }
  }
  const stats = { opens: 0, recoveries: 0, appends: 0, appendedRecords: 0, staleEpochs: 0, failures: 0, handOvers: 0, handOversRefused: 0, observeQuorum: () => {} }
  let other: ReplicatedJournal | undefined
  const cut = { other: false }
  const journal = new ReplicatedJournal({
    self: 'me',
    storage: a as LevelReplicaStorage,
    roster,
    remote: async (_node, partition, request) => {
      if (cut.other) throw Object.assign(new Error('other is out of reach'), { kind: 'unavailable' })
      return await (other as ReplicatedJournal).core(partition).handle(request)
    },
    versions,
    stats,
    versionedFences: true,
    ...(versionWaitMs !== undefined && { versionWaitMs })
  })
  other = new ReplicatedJournal({ self: 'other', storage: b as LevelReplicaStorage, roster, remote: async (_n, partition, request) => await journal.core(partition).handle(request) })
  return {
    journal,
    other,
    stores,
    versions,
    stats,
    cut,
    close: async () => {
      for (const s of stores) await s.close()
      for (const d of dirs) await d.remove()
    }
  }
}

describe('ReplicatedJournal under roster versions (each partition\'s configuration version carried)', () => {
  it('should carry its partition\'s configuration version in takes and writes, so that every replica stores it', async () => {
    const n = await twoNodes()
    try {
      const log = await n.journal.open('room/a')
      await log.append(events(1, 3))
      const p = n.journal.storage.partitionOf('room/a')
      expect(await n.journal.core(p).versions.of(p)).to.equal(3)
      expect(await n.other.core(p).versions.of(p)).to.equal(3)
      // a partition no owner took stores none
      const q = (p + 1) % n.journal.partitions
      expect(await n.other.core(q).versions.of(q)).to.equal(0)
    } finally {
      await n.close()
    }
  })

  it('should plan a take refused for a newer version again once its node applied that version: the node is told, nothing is taken under the older one', async () => {
    const n = await twoNodes(120_000)
    try {
      const p = n.journal.storage.partitionOf('room/b')
      // an owner on a node that applied version 5 of the partition took another room of it
      for (const j of [n.journal, n.other]) await j.core(p).handle({ op: 'fence', entity: sibling(n.journal.storage, 'room/b'), epoch: 1, activation: 'elsewhere', version: 5 })
      const opening = n.journal.open('room/b')
      await waitFor(() => n.versions.told.includes(5), 'the node told of version 5', { timeout: 10_000, interval: 5 })
      // (its take waits for the node to catch up: nothing under 3 got past the replica)
      expect(await n.other.core(p).handle({ op: 'summary', entity: 'room/b' })).to.include({ promised: 0 })
      n.versions.now = 5
      const log = await opening
      await log.append(events(1, 2))
      expect(await n.journal.core(p).versions.of(p)).to.equal(5)
      expect(await log.read({ from: 1, limit: 10 })).to.deep.equal(events(1, 2))
    } finally {
      await n.close()
    }
  })

  it('should fail a take with VersionBehindError when its node does not catch up in time, and take nothing', async () => {
    const n = await twoNodes(300)
    try {
      const p = n.journal.storage.partitionOf('room/c')
      for (const j of [n.journal, n.other]) await j.core(p).handle({ op: 'fence', entity: sibling(n.journal.storage, 'room/c'), epoch: 1, activation: 'elsewhere', version: 9 })
      const err = await n.journal.open('room/c').then(() => undefined, (e: unknown) => e as Error & { kind?: string })
      expect(err?.name).to.equal('VersionBehindError')
      expect(err?.kind).to.equal('unavailable')
      expect(err?.message).to.match(/configuration version 9 of partition \d+, which this node has not applied \(it has 3\).*retry$/)
      expect(await n.other.core(p).handle({ op: 'summary', entity: 'room/c' })).to.include({ promised: 0 })
    } finally {
      await n.close()
    }
  })

  it('should move an open journal to its partition\'s newer configuration version by fencing it with its own epoch, acknowledging nothing until then, and go on', async () => {
    const n = await twoNodes()
    try {
      const log = await n.journal.open('room/d')
      await log.append(events(1, 1))
      const p = n.journal.storage.partitionOf('room/d')
      const failed: Error[] = []
      log.onFailed?.((err) => { failed.push(err) })
      n.versions.now = 4
      expect(n.journal.rosterChanged()).to.equal(1)
      // an append made while it moves is acknowledged once it moved, under the new version
      await log.append(events(2, 2))
      expect(failed).to.deep.equal([])
      for (const j of [n.journal, n.other]) expect(await j.core(p).versions.of(p)).to.equal(4)
      expect((await n.other.core(p).handle({ op: 'summary', entity: 'room/d' })).head).to.equal(2)
      // an owner elsewhere still under 3 is refused from now on (its node is told of 4)
      const refused = await n.other.core(p).handle({ op: 'append', entity: sibling(n.journal.storage, 'room/d'), epoch: 1, activation: 'late', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch: 1, event: {} }], version: 3 })
      expect(refused).to.deep.include({ result: 'stale', version: 4 })
      expect(n.journal.rosterChanged()).to.equal(0)
    } finally {
      await n.close()
    }
  })

  it('should hand over a journal in the middle of a move with its ticket saying so, and have the next owner fence for the move before it acknowledges', async () => {
    const n = await twoNodes()
    try {
      const first = await n.journal.open('room/g')
      await first.append(events(1, 1))
      const p = n.journal.storage.partitionOf('room/g')
      // the move's fence cannot reach the other replica yet: it waits, acknowledging nothing
      n.cut.other = true
      n.versions.now = 4
      n.journal.rosterChanged()
      const ticket = first.handOver?.() as { version?: number, moving?: boolean }
      expect(ticket).to.include({ version: 4, moving: true })
      n.cut.other = false
      const next = await n.journal.open('room/g', structuredClone(ticket))
      expect(n.stats).to.include({ handOvers: 1 })
      await next.append(events(2, 2))
      expect(await n.other.core(p).versions.of(p)).to.equal(4)
      expect((await n.other.core(p).handle({ op: 'summary', entity: 'room/g' })).head).to.equal(2)
    } finally {
      await n.close()
    }
  })

  it('should stop an open journal that cannot follow its partition\'s move (too few of the new set promise), its writes failing as retryable', async () => {
    const n = await twoNodes()
    try {
      const log = await n.journal.open('room/e')
      await log.append(events(1, 1))
      // R = 2, W = 2: the move needs both replicas' promises, and the other is out of reach
      n.cut.other = true
      const failed: Error[] = []
      log.onFailed?.((err) => { failed.push(err) })
      n.versions.now = 4
      n.journal.rosterChanged()
      const err = await log.append(events(2, 2)).then(() => undefined, (e: unknown) => e as Error & { kind?: string })
      expect(failed.map((e) => e.name)).to.deep.equal(['ConfigurationMovedError'])
      expect(err?.kind, err?.message).to.equal('unavailable')
      expect(failed[0]?.message).to.match(/partition \d+ moved from configuration version 3 to 4 on this node and its journal could not follow \(1 of the 2 replicas of the new set promised \(2 needed\)\); it is taken again under the new one, retry$/)
    } finally {
      await n.close()
    }
  })

  it('should go on from a hand-over of its configuration version or an older one (moving to its own at once), and open a ticket of a newer one with a fence', async () => {
    const n = await twoNodes()
    try {
      const first = await n.journal.open('room/f')
      await first.append(events(1, 2))
      const p = n.journal.storage.partitionOf('room/f')
      const ticket = first.handOver?.() as { version?: number }
      expect(ticket.version).to.equal(3)
      // this node applied version 4 before the entity reached it (its old owner had not): the log
      // goes on from the ticket under 3 and follows the move to 4, as a log open here would; only
      // with the set this node's roster records for version 3 (a peer's ticket names its replicas)
      n.versions.now = 4
      n.versions.earlier = [{ version: 3, nodes: ['other', 'me'] }]
      const next = await n.journal.open('room/f', structuredClone(ticket))
      expect(n.stats).to.include({ handOvers: 1, handOversRefused: 0 })
      expect(next.head).to.equal(2)
      await next.append(events(3, 3))
      expect(await n.other.core(p).versions.of(p)).to.equal(4)
      const again = next.handOver?.() as { version?: number }
      expect(again.version).to.equal(4)
      // a ticket of a version this node has not applied does not fit: the log is taken with a fence
      const taken = await n.journal.open('room/f', { ...structuredClone(again), version: 5 })
      expect(n.stats).to.include({ handOvers: 1, handOversRefused: 1 })
      expect(taken.head).to.equal(3)
      const resumed = await n.journal.open('room/f', structuredClone(taken.handOver?.()))
      expect(n.stats).to.include({ handOvers: 2, handOversRefused: 1 })
      expect(resumed.head).to.equal(3)
      // a ticket of an older version naming a set this node's roster does not record for it (a
      // peer's ticket names its replicas; one settled since counts the same) is fenced, not resumed
      n.versions.now = 3
      n.versions.earlier = []
      const h = await n.journal.open('room/h')
      await h.append(events(1, 1))
      const old = h.handOver?.() as { version?: number }
      n.versions.now = 4
      n.versions.earlier = [{ version: 3, nodes: ['me', 'elsewhere'] }]
      const fenced = await n.journal.open('room/h', structuredClone(old))
      expect(n.stats).to.include({ handOvers: 2, handOversRefused: 2 })
      expect(fenced.head).to.equal(1)
    } finally {
      await n.close()
    }
  })

  it('should take nothing while its node does not know its versions, and carry them once known', async () => {
    // (a wait far longer than the test: a starved machine never sees it run out)
    const n = await twoNodes(120_000)
    try {
      n.versions.now = 'unknown'
      const opening = n.journal.open('room/g')
      const p = n.journal.storage.partitionOf('room/g')
      // (the take waits: it has fenced nothing)
      expect((await n.other.core(p).handle({ op: 'summary', entity: 'room/g' })).promised).to.equal(0)
      n.versions.now = 2
      await (await opening).append(events(1, 1))
      expect(await n.other.core(p).versions.of(p)).to.equal(2)
    } finally {
      await n.close()
    }
  })

  it('should carry none once its versions stayed unknown for the whole wait with no refusal (no member could tell them), and be refused where a replica stored one', async () => {
    const n = await twoNodes(200)
    try {
      n.versions.now = 'unknown'
      const log = await n.journal.open('room/g')
      await log.append(events(1, 1))
      const p = n.journal.storage.partitionOf('room/g')
      expect(await n.other.core(p).versions.of(p)).to.equal(0)
      // a partition whose replicas stored a version: refused, the node told, the take given up
      const q = [...Array(64).keys()].map((i) => `room/h${i}`).find((e) => n.journal.storage.partitionOf(e) !== p) as string
      const qp = n.journal.storage.partitionOf(q)
      for (const j of [n.journal, n.other]) await j.core(qp).handle({ op: 'fence', entity: sibling(n.journal.storage, q), epoch: 1, activation: 'elsewhere', version: 2 })
      const err = await n.journal.open(q).then(() => undefined, (e: unknown) => e as Error)
      expect(err?.name).to.equal('VersionBehindError')
      expect(n.versions.told).to.include(2)
    } finally {
      await n.close()
    }
  })
})
