import { expect } from 'chai'
import { ROOM } from '../../../actors/index.ts'
import type { BackupEntry, ChatMessage, PostAck } from '../../../actors/index.ts'
import { BackupKey, BackupService, generateBackupKey } from '../../../node/backup/index.ts'
import type { StoredRecord } from '../../../node/replication/index.ts'
import { ErasureFilter } from '../../../node/erasure/index.ts'
import { backupKey, finished, post, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const key = backupKey

describe('BackupRestorer', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  const room = (n: TestNode, name: string) => n.system.entity(ROOM, name)
  const postTo = async (n: TestNode, name: string, text: string): Promise<PostAck> =>
    await room(n, name).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text, replyTo }), { timeout: 10_000 })
  const history = async (n: TestNode, name: string): Promise<string[]> =>
    (await room(n, name).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 1_000, replyTo }), { timeout: 10_000 })).map((m) => `${m.seq}:${m.text}`)

  it('should bring one room back as it was, record by record, with its live activation held and the other rooms untouched', async () => {
    const { nodes, service, jobs } = await cluster()
    const [a, b] = nodes as [TestNode, TestNode]
    for (let i = 0; i < 12; i++) await postTo(a, `lobby-${i % 3}`, `before ${i}`)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const backedUp = await history(b, 'lobby-1')
    for (let i = 0; i < 6; i++) await postTo(b, `lobby-${i % 3}`, `after ${i}`)
    const lobby2 = await history(a, 'lobby-2')
    // a dry run writes nothing and says what would change
    const dry = await finished(jobs, service.restore(entry.id, { room: 'lobby-1' }, true))
    expect(dry.state, dry.error ?? '').to.equal('done')
    expect(dry.left).to.deep.equal([{ item: 'room/lobby-1', why: '6 records now, 4 in the backup: the 2 written since would go' }])
    expect(await history(a, 'lobby-1')).to.have.length(6)
    const restored = await finished(jobs, service.restore(entry.id, { room: 'lobby-1' }, false))
    expect(restored.state, restored.error ?? '').to.equal('done')
    expect(restored.message).to.match(/restored 1 entities \(4 records\).*2 records written after it are gone; its replicas held the backup's records whole: cut to them, no record of the backup read/)
    // every node reads the room as it was in the backup, and it takes new posts after that
    for (const n of nodes) expect(await history(n, 'lobby-1'), n.id).to.deep.equal(backedUp)
    expect((await postTo(a, 'lobby-1', 'again')).seq).to.equal(5)
    expect(await history(b, 'lobby-2'), 'another room untouched').to.deep.equal(lobby2)
  })

  it('should put a room that took a snapshot since the backup back with the backup\'s own snapshot, reading no record of it', async () => {
    const { nodes, service, jobs } = await cluster()
    const [a, b] = nodes as [TestNode, TestNode]
    // 150 posts: the room snapshots at 100 (every 100 events), which the backup keeps
    for (let i = 0; i < 150; i++) await postTo(a, 'agora', `before ${i}`)
    const entity = 'room/agora'
    const summaries = async (): Promise<Array<{ head: number, snapshotSeq: number }>> => await Promise.all(nodes.map(async (n) => await n.journal.core(n.journal.storage.partitionOf(entity)).handle({ op: 'summary', entity })))
    // (an owner sends a snapshot to the replicas in step: a replica fed later keeps none, and the
    // backup takes the newest of those holding the same log)
    await waitFor(async () => (await summaries()).some((s) => s.snapshotSeq === 100), 'a replica to hold the snapshot at 100')
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const backedUp = await history(b, 'agora')
    // 120 more: a snapshot at 200, past the backup
    for (let i = 0; i < 120; i++) await postTo(b, 'agora', `after ${i}`)
    // every replica holding all 270 (the third is fed after a quorum acknowledged), one a snapshot past the backup
    await waitFor(async () => { const s = await summaries(); return s.every((x) => x.head === 270) && s.some((x) => x.snapshotSeq === 200) }, 'every replica to hold 270 records, and one the snapshot at 200')
    const restored = await finished(jobs, service.restore(entry.id, { room: 'agora' }, false))
    expect(restored.state, restored.error ?? '').to.equal('done')
    expect(restored.message).to.match(/120 records written after it are gone; its replicas held the backup's records whole: cut to them, no record of the backup read/)
    for (const n of nodes) {
      // the backup's where one was past it (a replica that never got one keeps none)
      expect([undefined, 100], n.id).to.include((await n.journal.core(n.journal.storage.partitionOf(entity)).handle({ op: 'load-snapshot', entity }))?.seq)
      expect(await history(n, 'agora'), n.id).to.deep.equal(backedUp)
    }
    // the room's state is the backup's (recovered from the snapshot at 100 and the 50 after it)
    expect((await postTo(a, 'agora', 'again')).seq).to.equal(151)
  })

  it('should put back a room woken since the backup (its last record sealed anew) by cutting one record earlier, reading only that record of the backup', async () => {
    const { nodes, service, jobs } = await cluster()
    const [a, b] = nodes as [TestNode, TestNode]
    for (let i = 0; i < 6; i++) await postTo(a, 'porch', `kept ${i}`)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const backedUp = await history(b, 'porch')
    // an activation of a later epoch took the room (its owner's node restarted, say): it sealed the
    // head it recovered anew under its own epoch, and took a post
    const entity = 'room/porch'
    for (const n of nodes) {
      const core = n.journal.core(n.journal.storage.partitionOf(entity))
      const s = await core.handle({ op: 'summary', entity })
      const [before, last] = await core.handle({ op: 'read', entity, from: s.head - 1, limit: 2 }) as [StoredRecord, StoredRecord]
      const epoch = s.promised + 1
      expect(await core.handle({ op: 'fence', entity, epoch, activation: 'woken' })).to.include({ ok: true })
      const records = [{ seq: s.head, epoch, event: last.event }, { seq: s.head + 1, epoch, event: last.event }]
      expect((await core.handle({ op: 'append', entity, epoch, activation: 'woken', prevSeq: s.head - 1, prevEpoch: before.epoch, records })).result).to.equal('ok')
    }
    const restored = await finished(jobs, service.restore(entry.id, { room: 'porch' }, false))
    expect(restored.state, restored.error ?? '').to.equal('done')
    expect(restored.message, restored.message).to.match(/restored 1 entities \(6 records\) from .*: 3 records written.*1 records written after it are gone; its replicas held the backup's records up to the one before its last \(sealed anew since\): cut there, only that record read$/)
    for (const n of nodes) expect(await history(n, 'porch'), n.id).to.deep.equal(backedUp)
    expect((await postTo(a, 'porch', 'again')).seq).to.equal(7)
  })

  it('should read the backup\'s records of one room where its replicas no longer hold them (the room lost its journal), and write them back', async () => {
    const { nodes, service, jobs } = await cluster()
    const [a, b] = nodes as [TestNode, TestNode]
    for (let i = 0; i < 5; i++) await postTo(a, 'atrium', `kept ${i}`)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const backedUp = await history(b, 'atrium')
    // every replica's journal of the room replaced by one record of a later epoch (its disk lost, an owner started over)
    const entity = 'room/atrium'
    for (const n of nodes) {
      const core = n.journal.core(n.journal.storage.partitionOf(entity))
      const epoch = (await core.handle({ op: 'summary', entity })).promised + 1
      expect(await core.handle({ op: 'fence', entity, epoch, activation: 'lost' })).to.include({ ok: true })
      expect((await core.handle({ op: 'append', entity, epoch, activation: 'lost', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch, event: { type: 'member-joined', user: 'zed', ts: 1 } }] })).result).to.equal('ok')
    }
    const restored = await finished(jobs, service.restore(entry.id, { room: 'atrium' }, false))
    expect(restored.state, restored.error ?? '').to.equal('done')
    expect(restored.message).to.match(/restored 1 entities \(5 records\).*: 15 records written/).and.not.match(/cut to/)
    for (const n of nodes) expect(await history(n, 'atrium'), n.id).to.deep.equal(backedUp)
  })

  it('should restore every entity of a backup, and refuse a backup of another key before reading or writing anything', async () => {
    const { nodes, service, jobs, options } = await cluster()
    const [a] = nodes as [TestNode]
    for (let i = 0; i < 9; i++) await postTo(a, `hall-${i % 3}`, `post ${i}`)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const before = await Promise.all([0, 1, 2].map(async (i) => await history(a, `hall-${i}`)))
    for (let i = 0; i < 3; i++) await postTo(a, `hall-${i}`, 'later')
    const other = new BackupService({ ...options, key: BackupKey.parse(generateBackupKey()) })
    const refused = await finished(jobs, other.restore(entry.id, {}, false))
    expect(refused.state).to.equal('failed')
    expect(refused.error).to.match(/made with backup key .* this node holds key/)
    expect(await history(a, 'hall-0'), 'nothing written').to.have.length(4)
    const all = await finished(jobs, service.restore(entry.id, {}, false))
    expect(all.state, all.error ?? '').to.equal('done')
    expect(await Promise.all([0, 1, 2].map(async (i) => await history(a, `hall-${i}`)))).to.deep.equal(before)
    const missing = await finished(jobs, service.restore(entry.id, { room: 'nowhere' }, false))
    expect(missing.error).to.match(/holds no room\/nowhere/)
  })

  it('should apply its restore filter (the erasure log) to what it writes, so erased text never comes back', async () => {
    const { nodes, jobs, options } = await cluster()
    const [a, b] = nodes as [TestNode, TestNode]
    const service = new BackupService({ ...options, restoreFilter: async () => new ErasureFilter({ users: [{ name: 'ann', by: 'admin', ts: 1 }], redactions: {} }) })
    for (let i = 0; i < 4; i++) await postTo(a, 'vault', `secret ${i}`)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    // ann is erased after the backup: her posts are rewritten without their text on every replica
    await room(b, 'vault').ask((replyTo) => ({ type: 'erase-user', user: 'ann', by: 'admin', replyTo }), { timeout: 10_000 })
    expect((await history(a, 'vault')).slice(0, 4)).to.deep.equal(['1:', '2:', '3:', '4:'])
    // the restore writes the backup's records (those the replicas do not hold as they are): filtered
    const restored = await finished(jobs, service.restore(entry.id, { room: 'vault' }, false))
    expect(restored.state, restored.error ?? '').to.equal('done')
    expect(restored.message).to.match(/records written/)
    for (const n of [a, b]) expect(await history(n, 'vault'), n.id).to.deep.equal(['1:', '2:', '3:', '4:'])
  })

  it('should take only the entities that changed since a time, with --since', async () => {
    const { nodes, service, jobs } = await cluster()
    const [a] = nodes as [TestNode]
    await postTo(a, 'old-room', 'long ago')
    const before = Date.now()
    await waitFor(() => Date.now() > before, 'the clock to move on')
    const since = Date.now()
    await postTo(a, 'new-room', 'just now')
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const dry = await finished(jobs, service.restore(entry.id, { since }, true))
    expect(dry.state, dry.error ?? '').to.equal('done')
    // the room, and the directory that registered it
    expect(dry.left.map((l) => l.item)).to.include('room/new-room').and.not.include('room/old-room')
    const none = await finished(jobs, service.restore(entry.id, { since: Date.now() + 3_600_000 }, true))
    expect(none.error).to.match(/holds no entity changed at or after/)
  })
})
