import { expect } from 'chai'
import { cutToBackup } from '../../../node/backup/index.ts'
import type { ReplicaClient } from '../../../node/backup/index.ts'
import { sealedRecord } from '../../../node/index.ts'
import type { ReplicaCore, SealedRecord } from '../../../node/index.ts'
import { append, keyOf, recs, replicaDisks } from '../replication/fixtures/replica-disks.ts'
import type { ReplicaDisk } from '../replication/fixtures/replica-disks.ts'

describe('cutToBackup: a journal put back to a backup it still holds, reading none of the backup (in-process, real LevelDB)', () => {
  const { open, cleanup } = replicaDisks()
  afterEach(cleanup)
  const E = 'room/grew'
  const clientOf = (core: ReplicaCore): ReplicaClient => async (request) => await core.handle(request)
  const clientsOf = (disks: readonly ReplicaDisk[]): Map<string, ReplicaClient> => new Map(disks.map((d, i) => [`n${i}`, clientOf(d.core)]))

  /** Three replicas holding 1..9 of epoch 3, then `more` records of epoch 4 (an owner's later posts). */
  async function grown (more: number): Promise<ReplicaDisk[]> {
    const disks = [await open(), await open(), await open()]
    for (const d of disks) {
      await append(d.core, E, 3, 0, 0, recs(1, 9, 3))
      if (more > 0) await append(d.core, E, 4, 9, 3, recs(10, 9 + more, 4))
    }
    return disks
  }

  it('should drop what every replica holds after the backup\'s last record, under a fence above every promise, and keep the records before it as they are', async () => {
    const disks = await grown(3)
    expect(await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-1')).to.deep.equal({ epoch: 5, dropped: 3, written: 0 })
    for (const d of disks) {
      expect((await d.core.state(E)).summary).to.deep.include({ head: 9, headEpoch: 3, promised: 5 })
      expect((await d.core.handle({ op: 'read', entity: E, from: 1, limit: 20 })).map((r) => [r.seq, r.epoch])).to.deep.equal(recs(1, 9, 3).map((r) => [r.seq, 3]))
      // the owner that wrote the posts after it is fenced out
      expect((await d.core.handle({ op: 'append', entity: E, epoch: 4, activation: 'owner', prevSeq: 12, prevEpoch: 4, records: recs(13, 13, 4) })).result).to.equal('stale')
    }
  })

  it('should fence and write nothing when every replica holds exactly the backup\'s records', async () => {
    const disks = await grown(0)
    expect(await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-2')).to.deep.equal({ epoch: 0, dropped: 0, written: 0 })
    for (const d of disks) expect((await d.core.state(E)).summary).to.deep.include({ head: 9, promised: 3 })
  })

  it('should leave the journal untouched, unfenced, where a replica does not hold the backup\'s log whole, or built a snapshot past it', async () => {
    // one replica lags (it holds 1..6), one holds another record 9 (a lost owner's), one a snapshot past it
    const cases: Array<[string, (d: ReplicaDisk[]) => Promise<void>]> = [
      ['lags', async (d) => { const lag = await open(); await append(lag.core, E, 3, 0, 0, recs(1, 6, 3)); d[1] = lag }],
      ['another record 9', async (d) => { const other = await open(); await append(other.core, E, 3, 0, 0, recs(1, 8, 3)); await append(other.core, E, 4, 8, 3, recs(9, 12, 4)); d[2] = other }],
      ['a snapshot past it', async (d) => { await d[0]?.core.handle({ op: 'save-snapshot', entity: E, epoch: 4, snapshot: { seq: 11, state: { at: 11 } } }) }]
    ]
    for (const [why, make] of cases) {
      await cleanup()
      const disks = await grown(3)
      await make(disks)
      const before = await Promise.all(disks.map(async (d) => (await d.core.state(E)).summary))
      expect(await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-3'), why).to.equal(undefined)
      expect(await Promise.all(disks.map(async (d) => (await d.core.state(E)).summary)), why).to.deep.equal(before)
    }
  })

  it('should not cut when a replica\'s log changed between its summary and the fence (a snapshot saved past the backup meanwhile)', async () => {
    const disks = await grown(3)
    const clients = clientsOf(disks)
    const first = disks[0] as ReplicaDisk
    clients.set('n0', async (request) => {
      // an owner's snapshot lands just before the fence does
      if (request.op === 'fence') await first.core.handle({ op: 'save-snapshot', entity: E, epoch: 4, snapshot: { seq: 12, state: { at: 12 } } })
      return await first.core.handle(request)
    })
    expect(await cutToBackup(E, 9, 3, clients, 'restore-4')).to.equal(undefined)
    for (const d of disks) expect((await d.core.state(E)).summary).to.deep.include({ head: 12, headEpoch: 4 })
  })

  it('should put the backup\'s snapshot in place of one built past the backup, before it cuts, reading it once', async () => {
    const disks = await grown(3)
    const [a, b] = disks as [ReplicaDisk, ReplicaDisk]
    await a.core.handle({ op: 'save-snapshot', entity: E, epoch: 4, snapshot: { seq: 11, state: { at: 11 } } })
    expect(await b.core.handle({ op: 'save-snapshot', entity: E, epoch: 4, snapshot: { seq: 8, state: { at: 8 } } })).to.deep.equal({ result: 'ok' })
    let reads = 0
    const backupSnapshot = async (): Promise<{ seq: number, state: unknown }> => { reads++; return { seq: 6, state: { at: 6 } } }
    expect(await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-6', backupSnapshot)).to.deep.equal({ epoch: 5, dropped: 3, written: 0 })
    expect(reads).to.equal(1)
    // the one past the backup replaced; one within it kept (it covers records that stay)
    expect(await a.core.handle({ op: 'load-snapshot', entity: E })).to.deep.equal({ seq: 6, state: { at: 6 } })
    expect(await b.core.handle({ op: 'load-snapshot', entity: E })).to.deep.equal({ seq: 8, state: { at: 8 } })
    for (const d of disks) expect((await d.core.state(E)).summary).to.deep.include({ head: 9, headEpoch: 3 })
    expect((await a.core.state(E)).summary.snapshotSeq).to.equal(6)
  })

  it('should write nothing, not even a fence, when the backup\'s snapshot cannot be read', async () => {
    const disks = await grown(3)
    await disks[2]?.core.handle({ op: 'save-snapshot', entity: E, epoch: 4, snapshot: { seq: 12, state: {} } })
    const err = await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-7', async () => { throw new Error('no holder serves the chunk') }).then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('message', 'no holder serves the chunk')
    for (const d of disks) expect((await d.core.state(E)).summary).to.deep.include({ head: 12, promised: 4 })
  })

  it('should read the backup\'s snapshot before any replica is written, also when a replica built one past the backup after its summary', async () => {
    const disks = await grown(3)
    const clients = clientsOf(disks)
    const first = disks[0] as ReplicaDisk
    clients.set('n0', async (request) => {
      if (request.op === 'fence') await first.core.handle({ op: 'save-snapshot', entity: E, epoch: 4, snapshot: { seq: 12, state: {} } })
      return await first.core.handle(request)
    })
    const err = await cutToBackup(E, 9, 3, clients, 'restore-8', async () => { throw new Error('no holder serves the chunk') }).then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('message', 'no holder serves the chunk')
    // fenced, but no replica cut: every one still holds the 12 records
    for (const d of disks) expect((await d.core.state(E)).summary).to.deep.include({ head: 12, promised: 5 })
  })

  /** A record as the replica's store keeps it, seal and all. */
  async function storedValue (d: ReplicaDisk, seq: number): Promise<Uint8Array> {
    const key = keyOf(d.storage, E, seq)
    for await (const values of d.storage.store.storedValues({ gte: key, lte: key })) return values[0] as Uint8Array
    throw new Error(`no record ${seq}`)
  }

  /** Three replicas holding 1..9 of epoch 3 (the backup), then woken: an activation of epoch 4
   * sealed record 9 anew under its own epoch, and wrote `more` posts after it. The backup's record 9
   * as the store kept it is returned beside them. */
  async function woken (more: number): Promise<{ disks: ReplicaDisk[], backupHead: SealedRecord }> {
    const disks = await grown(0)
    const backupHead = sealedRecord(9, await storedValue(disks[0] as ReplicaDisk, 9)) as SealedRecord
    for (const d of disks) await append(d.core, E, 4, 8, 3, [{ seq: 9, epoch: 4, event: backupHead.event }, ...recs(10, 9 + more, 4)])
    return { disks, backupHead }
  }

  it('should cut one record earlier where an activation since sealed the head anew, and write the backup\'s head record back as it was stored', async () => {
    const { disks, backupHead } = await woken(3)
    // without the backup's last record: nothing to cut to
    expect(await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-9')).to.equal(undefined)
    for (const d of disks) expect((await d.core.state(E)).summary).to.deep.include({ head: 12, headEpoch: 4, promised: 4 })
    let reads = 0
    const tail = { prevEpoch: 3, read: async () => { reads++; return backupHead } }
    expect(await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-10', undefined, tail)).to.deep.equal({ epoch: 5, dropped: 3, written: 3 })
    expect(reads).to.equal(1)
    for (const d of disks) {
      expect((await d.core.state(E)).summary).to.deep.include({ head: 9, headEpoch: 3, promised: 5 })
      expect((await d.core.handle({ op: 'read', entity: E, from: 1, limit: 20 })).map((r) => [r.seq, r.epoch])).to.deep.equal(recs(1, 9, 3).map((r) => [r.seq, 3]))
      // the record as the backup kept it, seal and all
      expect(Buffer.from(await storedValue(d, 9)).equals(Buffer.from(backupHead.sealed))).to.equal(true)
    }
  })

  it('should not cut one record earlier where a replica does not hold the record before the head, nor write anything when the backup\'s head record cannot be read', async () => {
    const { disks, backupHead } = await woken(2)
    // another epoch before the head than the backup's: the backup's log is not there
    expect(await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-11', undefined, { prevEpoch: 2, read: async () => backupHead })).to.equal(undefined)
    const err = await cutToBackup(E, 9, 3, clientsOf(disks), 'restore-12', undefined, { prevEpoch: 3, read: async () => { throw new Error('no holder serves the chunk') } }).then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('message', 'no holder serves the chunk')
    // neither fenced nor cut
    for (const d of disks) expect((await d.core.state(E)).summary).to.deep.include({ head: 11, headEpoch: 4, promised: 4 })
  })

  it('should refuse, cutting nothing, when a replica does not answer', async () => {
    const disks = await grown(3)
    const clients = clientsOf(disks)
    clients.set('n1', async () => { throw new Error('peer unreachable') })
    const err = await cutToBackup(E, 9, 3, clients, 'restore-5').then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('name', 'BackupRestoreError')
    expect((err as Error).message).to.match(/did not answer.*needs every replica/)
    expect((await disks[0]?.core.state(E))?.summary).to.deep.include({ head: 12, promised: 4 })
  })
})
