import { expect } from 'chai'
import { PartitionHandOff, LevelReplicaStorage, LevelStore, ReplicatedJournal, pullFrom, replicaPeer } from '../../../../node/index.ts'
import type { Candidate } from '../../../../node/mesh/index.ts'
import { ServiceFailures } from '../../../../node/services/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

const quiet = { info: () => undefined, warn: () => undefined }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('PartitionHandOff: a leaving storage node hands its partitions off (in-process, real LevelDB)', function () {
  this.timeout(60_000)
  const dirs: Array<{ remove: () => Promise<void> }> = []
  const stores: LevelStore[] = []
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close()
    for (const d of dirs.splice(0)) await d.remove()
  })

  /** Four nodes a-d; placement over `active` (R = 3), former holders over all four. */
  async function cluster (): Promise<{ journals: Map<string, ReplicatedJournal>, active: Set<string>, down: Set<string> }> {
    const names = ['a', 'b', 'c', 'd']
    const active = new Set(['a', 'b', 'c'])
    const down = new Set<string>()
    const journals = new Map<string, ReplicatedJournal>()
    const all: Candidate[] = names.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    for (const self of names) {
      const dir = await tempDir()
      dirs.push(dir)
      const store = await LevelStore.open(dir.path)
      stores.push(store)
      journals.set(self, new ReplicatedJournal({
        self,
        storage: await LevelReplicaStorage.open(store, 8),
        roster: () => all.filter((c) => active.has(c.peerId)),
        known: () => all,
        live: () => new Set(names.filter((n) => !down.has(n))),
        // a leaving node that is down handed off (as the node's roster says: start-node.ts)
        holdsNothing: (n) => !active.has(n),
        remote: async (node, partition, request) => {
          if (down.has(node)) throw Object.assign(new Error(`${node} is down`), { kind: 'unavailable' })
          return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request)
        }
      }))
    }
    return { journals, active, down }
  }

  const handOffOf = (self: string, journals: Map<string, ReplicatedJournal>, leaving: () => boolean, down: Set<string>): PartitionHandOff => new PartitionHandOff({
    self,
    journal: journals.get(self) as ReplicatedJournal,
    leaving,
    live: () => new Set(['a', 'b', 'c', 'd'].filter((n) => !down.has(n))),
    // the new replica pulls from the leaving node, as AntiEntropy.takeOver does
    takeOver: async (node, partition) => {
      const to = journals.get(node) as ReplicatedJournal
      const from = journals.get(self) as ReplicatedJournal
      return await pullFrom(partition, to.storage, to.core(partition), replicaPeer(partition, from.storage, from.core(partition)), { records: Infinity, bytes: Infinity })
    },
    intervalMs: 0,
    log: quiet
  })

  it('should put everything it held on the new replicas, so that losing it and one more old replica loses nothing', async () => {
    const { journals, active, down } = await cluster()
    const a = journals.get('a') as ReplicatedJournal
    const rooms = Array.from({ length: 24 }, (_, i) => `room/h${i}`)
    // every room written with c down part of the time: some records are on a and b only
    for (const room of rooms) {
      const log = await a.open(room)
      await log.append([{ seq: 1, event: { n: 1 } }])
      down.add('c')
      await log.append([{ seq: 2, event: { n: 2 } }])
      down.delete('c')
      // (a's own copy lands on its own time, fed while the journal is open: the writes were
      // acknowledged by a quorum)
      await waitFor(async () => (await a.core(a.storage.partitionOf(room)).handle({ op: 'read', entity: room, from: 1, limit: 5 })).length === 2, `a to hold its copy of ${room}`)
      log.close()
    }
    // a leaves: placement is b, c, d now; nothing is open, so no owner feeds d
    active.delete('a')
    active.add('d')
    const handOff = handOffOf('a', journals, () => true, down)
    const status = await handOff.runOnce()
    expect(status.state).to.equal('done')
    expect(status.partitions).to.be.greaterThan(0)
    expect(status.done).to.equal(status.partitions)
    // a and b both gone: c and d (a write quorum of the new set) hold every record
    down.add('a')
    down.add('b')
    const c = journals.get('c') as ReplicatedJournal
    for (const room of rooms) {
      const log = await c.open(room)
      const seen: unknown[] = []
      for await (const r of log.replay(1)) seen.push(r.event)
      expect(seen, room).to.deep.equal([{ n: 1 }, { n: 2 }])
      log.close()
    }
  })

  it('should wait while a new replica is down, and not call itself done', async () => {
    const { journals, active, down } = await cluster()
    const a = journals.get('a') as ReplicatedJournal
    const log = await a.open('room/x')
    await log.append([{ seq: 1, event: { n: 1 } }])
    await waitFor(() => a.storage.tree(a.storage.partitionOf('room/x')).records > 0, 'a to hold its copy')
    log.close()
    active.delete('a')
    active.add('d')
    down.add('d')
    const handOff = handOffOf('a', journals, () => true, down)
    const status = await handOff.runOnce()
    expect(status.state).to.equal('handing-off')
    expect(status.waiting.join(' ')).to.match(/new replica d is down/)
    down.delete('d')
    expect((await handOff.runOnce()).state).to.equal('done')
    // a node that is not leaving hands nothing off
    expect((await handOffOf('b', journals, () => false, down).runOnce()).state).to.equal('idle')
    expect(hex((journals.get('d') as ReplicatedJournal).storage.tree(a.storage.partitionOf('room/x')).root())).to.equal(hex(a.storage.tree(a.storage.partitionOf('room/x')).root()))
  })

  it('should retire the leaving replica: no append or snapshot lands on it, fences and reads still answered, writes taken again once it is a replica again', async () => {
    const { journals, active, down } = await cluster()
    const a = journals.get('a') as ReplicatedJournal
    const log = await a.open('room/r')
    await log.append([{ seq: 1, event: { n: 1 } }])
    await waitFor(() => a.storage.tree(a.storage.partitionOf('room/r')).records > 0, 'a to hold its copy')
    log.close()
    active.delete('a')
    active.add('d')
    const handOff = handOffOf('a', journals, () => true, down)
    const st = await handOff.runOnce()
    expect(st.state).to.equal('done')
    const core = a.core(a.storage.partitionOf('room/r'))
    expect(core.retired).to.equal(true)
    const err = await core.handle({ op: 'append', entity: 'room/r', epoch: Date.now() + 1e6, activation: 'late', prevSeq: 1, prevEpoch: (await core.state('room/r')).summary.headEpoch, records: [] }).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'ReplicaRetiredError')
    expect(err).to.have.property('kind', 'unavailable')
    expect((await core.handle({ op: 'read', entity: 'room/r', from: 1, limit: 5 })).map((r) => r.seq)).to.deep.equal([1])
    expect(await core.handle({ op: 'fence', entity: 'room/r', epoch: Date.now() + 2e6, activation: 'reader' })).to.include({ ok: true })
    // a is a storage node again: it takes writes again
    active.add('a')
    active.delete('d')
    handOff.rosterChanged()
    expect(core.retired).to.equal(false)
  })

  it('should check every interval once started, handing off only while leaving and not done, and stop', async () => {
    const { journals, active, down } = await cluster()
    let leaving = false
    let asked = 0
    const said: string[] = []
    const failures = new ServiceFailures()
    const handOff = new PartitionHandOff({
      self: 'a',
      journal: journals.get('a') as ReplicatedJournal,
      leaving: () => { asked++; return leaving },
      live: () => new Set(['a', 'b', 'c', 'd'].filter((n) => !down.has(n))),
      takeOver: async () => ({ records: 0, repaired: 0, divergent: 0, peerNewer: [], movedOn: 0 }),
      intervalMs: 5,
      failures,
      log: { ...quiet, info: (_o: object, msg: string) => { said.push(msg) } }
    })
    handOff.start()
    await waitFor(() => asked >= 3, 'three checks')
    expect(handOff.status.state).to.equal('idle')
    active.delete('a')
    active.add('d')
    leaving = true
    await waitFor(() => handOff.status.state === 'done', 'the hand-off done')
    // done: the checks go on, and hand nothing off again
    const passes = said.length
    const checks = asked
    await waitFor(() => asked >= checks + 3, 'three more checks')
    expect(said).to.have.length(passes)
    await handOff.stop()
    expect(failures.of('partition-hand-off')).to.equal(0)
  })
})
