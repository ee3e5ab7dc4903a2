import { expect } from 'chai'
import { LogState, newTrack } from '../../../../node/replication/journal/log-state.ts'
import { ReplicaFeed } from '../../../../node/replication/journal/replica-feed.ts'
import { waitFor } from '../../../helpers/wait-for.ts'
import { useReplicaSet } from '../fixtures/replica-set.ts'

const E = 'room/fed'

/** An owner's log of epoch 5 (seqs 1-6, nothing acknowledged yet), fed to real replicas. */
describe('ReplicaFeed', () => {
  const set = useReplicaSet(['a', 'b', 'c'])
  const stateOf = (): LogState => new LogState({
    epoch: 5, head: 6, segments: [[5, 1]], tail: Array.from({ length: 6 }, (_, i) => ({ seq: i + 1, epoch: 5, event: { n: i + 1 } })), tailStart: 1,
    sealed: 0, committed: 0, tracks: ['a', 'b', 'c'].map((n) => newTrack(n)), sources: [], snapshotHolders: [], holder: 'owner', readFloor: 0
  }, 2)
  const feedOf = (s: LogState, events: { advanced: number, failed: Error[] }, self?: string): ReplicaFeed => new ReplicaFeed(s, {
    entityId: E, activation: 'owner', leased: false, env: set.env, clock: Date.now, ...(self !== undefined && { self }),
    advance: () => { events.advanced++ },
    fail: (err) => { events.failed.push(err) }
  })
  beforeEach(async () => {
    for (const core of set.cores.values()) await core.handle({ op: 'fence', entity: E, epoch: 5, activation: 'owner' })
  })

  it('should find where each replica\'s log parts from the owner\'s and feed it the rest', async () => {
    const s = stateOf()
    const events = { advanced: 0, failed: [] as Error[] }
    const feed = feedOf(s, events)
    for (const t of s.tracks) feed.pump(t)
    await waitFor(() => s.tracks.every((t) => t.match === 6 && !t.busy), 'every replica to hold seqs 1-6')
    for (const core of set.cores.values()) expect((await core.state(E)).summary).to.deep.include({ head: 6, headEpoch: 5 })
    expect(events.advanced).to.be.at.least(3)
    expect(events.failed).to.deep.equal([])
  })

  it('should ask a replica that did not answer again later, and fail the log when a newer owner holds a replica', async () => {
    const s = stateOf()
    const events = { advanced: 0, failed: [] as Error[] }
    const feed = feedOf(s, events)
    set.down.add('b')
    const b = s.tracks[1] as ReturnType<typeof newTrack>
    feed.pump(b)
    await waitFor(() => b.waiting, 'b to wait before it is asked again')
    set.down.delete('b')
    await waitFor(() => b.match === 6, 'b fed once it answers')
    // c promised a newer epoch to another owner: the log stops as stale
    await set.cores.get('c')?.handle({ op: 'fence', entity: E, epoch: 8, activation: 'newer' })
    feed.pump(s.tracks[2] as ReturnType<typeof newTrack>)
    await waitFor(() => events.failed.length > 0, 'the log to fail')
    expect(events.failed[0]).to.have.property('name', 'StaleEpochError')
  })

  it('should read records older than what the owner keeps from a replica in step, this node\'s own first', async () => {
    const s = stateOf()
    const feed = feedOf(s, { advanced: 0, failed: [] }, 'c')
    const [a, , c] = s.tracks as [ReturnType<typeof newTrack>, ReturnType<typeof newTrack>, ReturnType<typeof newTrack>]
    feed.pump(a)
    await waitFor(() => a.match === 6 && !a.busy, 'a to hold the log')
    // the owner keeps only seqs 5-6 now
    s.tail = s.tail.slice(4)
    s.tailStart = 5
    set.sent.length = 0
    expect((await feed.fetch(2, 2)).map((r) => r.seq)).to.deep.equal([2, 3])
    expect(set.sent).to.deep.equal(['a read'])
    // none in step but the one left out: no replica holds them
    const none = await feed.fetch(2, 2, 'a').then(() => null, (e: unknown) => e)
    expect(none).to.have.property('name', 'ReplicasUnavailableError')
    // this node's replica in step too: asked first
    s.tail = Array.from({ length: 6 }, (_, i) => ({ seq: i + 1, epoch: 5, event: { n: i + 1 } }))
    s.tailStart = 1
    feed.pump(c)
    await waitFor(() => c.match === 6 && !c.busy, 'c to hold the log')
    s.tail = s.tail.slice(4)
    s.tailStart = 5
    set.sent.length = 0
    await feed.fetch(1, 3)
    expect(set.sent).to.deep.equal(['c read'])
  })
})
