import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { LevelReplicaStorage, LevelStore, MAX_CONCURRENT_OPENS, ReplicaCore, ReplicasUnavailableError, ReplicatedJournal, openLocalJournal, replicasOf } from '../../../../node/index.ts'
import type { EntityJournal } from '../../../../actors/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

describe('ReplicatedJournal', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore | undefined
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await dir.remove()
  })

  const events = (from: number, to: number): Array<{ seq: number, event: { n: number } }> =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, event: { n: from + i } }))
  const all = async (log: EntityJournal, from = 1): Promise<unknown[]> => {
    const out = []
    for await (const r of log.replay(from)) out.push(r)
    return out
  }

  it('should append, read from a seq with a limit, replay, and recover the head on the next open', async () => {
    store = await LevelStore.open(dir.path)
    const journal = await openLocalJournal(store)
    const log = await journal.open('room/general')
    expect(log.head).to.equal(0)
    await log.append(events(1, 3))
    await log.append(events(4, 10))
    expect(await log.read({ from: 4, limit: 3 })).to.deep.equal(events(4, 6))
    expect(await log.read({ from: 11, limit: 3 })).to.deep.equal([])
    expect(await all(log, 8)).to.deep.equal(events(8, 10))
    const bad = await log.append(events(12, 12)).then(() => null, (e: unknown) => e)
    expect(bad).to.be.instanceOf(RangeError)
    log.close()
    const again = await journal.open('room/general')
    expect(again.head).to.equal(10)
    expect(await all(again)).to.deep.equal(events(1, 10))
    expect(await journal.head('room/general')).to.equal(10)
    expect(await journal.head('room/none')).to.equal(0)
  })

  it('should take at most MAX_CONCURRENT_OPENS journals at once on a node, the rest waiting their turn', async () => {
    store = await LevelStore.open(dir.path)
    const storage = await LevelReplicaStorage.open(store)
    // a second replica in another store, answering only when the test lets it
    const otherDir = await tempDir()
    const otherStore = await LevelStore.open(otherDir.path)
    try {
      const other = new ReplicaCore(await LevelReplicaStorage.open(otherStore))
      let fencing = 0
      let most = 0
      const held: Array<() => void> = []
      const journal = new ReplicatedJournal({
        self: 'me',
        storage,
        roster: () => [{ peerId: 'me', roles: ['storage'], capacity: 1 }, { peerId: 'other', roles: ['storage'], capacity: 1 }],
        remote: async (_node, _p, request) => {
          if (request.op !== 'fence') return await other.handle(request)
          fencing++
          most = Math.max(most, fencing)
          await new Promise<void>((resolve) => { held.push(resolve) })
          fencing--
          return await other.handle(request)
        }
      })
      const opens = Array.from({ length: 100 }, (_, i) => journal.open(`room/o${i}`))
      const { waitFor } = await import('../../../helpers/wait-for.ts')
      await waitFor(() => held.length === MAX_CONCURRENT_OPENS, `${MAX_CONCURRENT_OPENS} fences held`, { timeout: 10_000, interval: 5 })
      expect(journal.opensWaiting).to.equal(100 - MAX_CONCURRENT_OPENS)
      // released one by one as they come: every open completes, never more than the bound at once
      const releasing = setInterval(() => { held.splice(0).forEach((r) => { r() }) }, 1)
      const logs = await Promise.all(opens)
      clearInterval(releasing)
      expect(logs).to.have.length(100)
      expect(most).to.equal(MAX_CONCURRENT_OPENS)
    } finally {
      await otherStore.close()
      await otherDir.remove()
    }
  })

  it('should fence an older activation: its next append fails with StaleEpochError and it is told', async () => {
    store = await LevelStore.open(dir.path)
    const journal = await openLocalJournal(store)
    const old = await journal.open('room/x')
    await old.append(events(1, 2))
    const failures: string[] = []
    old.onFailed((err) => { failures.push(err.name) })
    const current = await journal.open('room/x')
    expect(current.head).to.equal(2)
    const err = await old.append(events(3, 3)).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'StaleEpochError')
    expect(failures).to.deep.equal(['StaleEpochError'])
    await current.append([{ seq: 3, event: { n: 'new' } }])
    expect(await all(current)).to.deep.equal([...events(1, 2), { seq: 3, event: { n: 'new' } }])
  })

  it('should keep the journal and fence the old replicas when storage nodes join and the partition\'s replicas change', async () => {
    // five nodes, each with its own store; the roster grows from three to five
    const names = ['a', 'b', 'c', 'd', 'e']
    const dirs = await Promise.all(names.map(() => tempDir()))
    const stores = await Promise.all(dirs.map((d) => LevelStore.open(d.path)))
    try {
      const storages = await Promise.all(stores.map((s) => LevelReplicaStorage.open(s)))
      const down = new Set<string>()
      const replaced = new Set<string>()
      let roster = names.slice(0, 3).map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
      const journals = new Map<string, ReplicatedJournal>()
      for (const [i, self] of names.entries()) {
        journals.set(self, new ReplicatedJournal({
          self,
          storage: storages[i] as LevelReplicaStorage,
          roster: () => roster,
          live: () => new Set(names.filter((n) => !down.has(n))),
          holdsNothing: (n) => replaced.has(n),
          remote: async (node, partition, request) => {
            if (down.has(node)) throw Object.assign(new Error(`${node} is down`), { kind: 'unavailable' })
            return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request)
          }
        }))
      }
      const five = names.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
      // an entity whose replicas under five nodes keep only one of the three it had
      let entity = ''
      let before: string[] = []
      let after: string[] = []
      for (let i = 0; entity === ''; i++) {
        const p = (storages[0] as LevelReplicaStorage).partitionOf(`room/j${i}`)
        before = replicasOf(p, roster, 3)
        after = replicasOf(p, five, 3)
        if (after.filter((n) => before.includes(n)).length === 1) entity = `room/j${i}`
      }
      const kept = after.find((n) => before.includes(n)) as string
      const oldOwner = before.find((n) => n !== kept) as string
      const newOwner = after.find((n) => !before.includes(n)) as string
      const old = await (journals.get(oldOwner) as ReplicatedJournal).open(entity)
      await old.append(events(1, 20))
      // the roster grows; the one old replica that stays one is down: the new replicas alone
      // hold nothing, the old ones (not replicas any more) hold the journal
      roster = five
      down.add(kept)
      const current = await (journals.get(newOwner) as ReplicatedJournal).open(entity)
      expect(current.head).to.equal(20)
      expect(await all(current)).to.deep.equal(events(1, 20))
      // the old owner, still writing to the old replicas, is fenced by them
      const err = await old.append(events(21, 21)).then(() => null, (e: unknown) => e)
      expect(err).to.have.property('name', 'StaleEpochError')
      await current.append([{ seq: 21, event: { n: 'new' } }])
      // the journal now lives on the new replicas; but while two storage nodes that may hold it
      // are down (W of them: another node's view might have written there), it is not taken
      down.delete(kept)
      for (const n of before) if (!after.includes(n)) down.add(n)
      const refused = await (journals.get(kept) as ReplicatedJournal).open(entity).then(() => undefined, (e: unknown) => e)
      expect(refused).to.be.instanceOf(ReplicasUnavailableError)
      expect((refused as Error).message).to.match(/2 storage nodes that may hold it are down/)
      // once they are known to hold nothing more (replaced), the new replicas alone read whole
      for (const n of before) if (!after.includes(n)) replaced.add(n)
      const again = await (journals.get(kept) as ReplicatedJournal).open(entity)
      expect(await all(again)).to.deep.equal([...events(1, 20), { seq: 21, event: { n: 'new' } }])
    } finally {
      for (const s of stores) await s.close()
      for (const d of dirs) await d.remove()
    }
  })

  it('should move an open journal to its partition\'s new replicas when the roster grows, so its records outlive the node it began on', async () => {
    const names = ['a', 'b', 'c']
    const dirs = await Promise.all(names.map(() => tempDir()))
    const stores = await Promise.all(dirs.map((d) => LevelStore.open(d.path)))
    try {
      const storages = await Promise.all(stores.map((s) => LevelReplicaStorage.open(s)))
      const down = new Set<string>()
      // a cluster forming: the first node alone (R = 1, W = 1), then two more storage nodes
      let roster = [{ peerId: 'a', roles: ['storage'], capacity: 1 }]
      const journals = new Map<string, ReplicatedJournal>()
      for (const [i, self] of names.entries()) {
        journals.set(self, new ReplicatedJournal({
          self,
          storage: storages[i] as LevelReplicaStorage,
          roster: () => roster,
          live: () => new Set(names.filter((n) => !down.has(n))),
          remote: async (node, partition, request) => {
            if (down.has(node)) throw Object.assign(new Error(`${node} is down`), { kind: 'unavailable' })
            return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request)
          }
        }))
      }
      const a = journals.get('a') as ReplicatedJournal
      const log = await a.open('users/all')
      await log.append(events(1, 10))
      roster = names.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
      expect(a.rosterChanged()).to.equal(1)
      expect(a.rosterChanged()).to.equal(0)
      // acknowledged at the new quorum (two of three): the new replicas were fed the whole journal
      await log.append(events(11, 11))
      for (const n of ['b', 'c']) {
        const p = (storages[0] as LevelReplicaStorage).partitionOf('users/all')
        const { waitFor } = await import('../../../helpers/wait-for.ts')
        await waitFor(async () => (await (journals.get(n) as ReplicatedJournal).core(p).handle({ op: 'summary', entity: 'users/all' })).head === 11, `${n} to hold the journal`, { timeout: 10_000, interval: 5 })
      }
      // the node it began on is gone: the others have every record
      down.add('a')
      const again = await (journals.get('b') as ReplicatedJournal).open('users/all')
      expect(again.head).to.equal(11)
      expect(await all(again)).to.deep.equal(events(1, 11))
    } finally {
      for (const s of stores) await s.close()
      for (const d of dirs) await d.remove()
    }
  })

  it('should go on from a live move\'s hand-over once, without a fence, and take the journal anew for a ticket used before or one that does not fit', async () => {
    store = await LevelStore.open(dir.path)
    const storage = await LevelReplicaStorage.open(store)
    const stats = { opens: 0, recoveries: 0, appends: 0, appendedRecords: 0, staleEpochs: 0, failures: 0, handOvers: 0, handOversRefused: 0, observeQuorum: () => {} }
    const journal = new ReplicatedJournal({
      self: 'me',
      storage,
      roster: () => [{ peerId: 'me', roles: ['storage'], capacity: 1 }],
      remote: () => Promise.reject(new Error('no other replicas')),
      stats
    })
    const first = await journal.open('room/moving')
    await first.append(events(1, 3))
    const ticket = first.handOver?.()
    expect(ticket, 'a ticket once every write is durable').to.not.equal(undefined)
    // the old activation never writes again
    expect(await first.append(events(4, 4)).then(() => 'written', (e: unknown) => (e as Error).name)).to.equal('EntityLogClosedError')
    const fences = journal.replicaStats().fences
    const next = await journal.open('room/moving', structuredClone(ticket))
    expect(next.head).to.equal(3)
    expect(journal.replicaStats().fences, 'fences to take it').to.equal(fences)
    expect(stats).to.include({ handOvers: 1, handOversRefused: 0, opens: 1 })
    await next.append(events(4, 5))
    expect(await all(next)).to.deep.equal(events(1, 5))
    next.close()
    // the same ticket again (a message delivered twice): taken anew, with a fence, all five there
    const again = await journal.open('room/moving', structuredClone(ticket))
    expect(again.head).to.equal(5)
    expect(stats).to.include({ handOvers: 1, handOversRefused: 1, opens: 2 })
    const other = again.handOver?.() as { replicas: unknown[] }
    // a ticket that names other replicas (a roster change between two views), or is not one
    for (const bad of [{ ...other, replicas: [{ node: 'elsewhere', match: 5 }] }, { nonsense: true }]) {
      const taken = await journal.open('room/moving', bad)
      expect(taken.head).to.equal(5)
      taken.close()
    }
    expect(stats).to.include({ handOvers: 1, handOversRefused: 3, opens: 4 })
  })

  it('should never try an epoch twice for one entity: a take in the same millisecond as the one before fences above it at once', async () => {
    store = await LevelStore.open(dir.path)
    const storage = await LevelReplicaStorage.open(store)
    // the clock stands still: every take draws the same millisecond
    const journal = new ReplicatedJournal({ self: 'me', storage, roster: () => [{ peerId: 'me', roles: ['storage'], capacity: 1 }], remote: () => Promise.reject(new Error('no other replicas')), now: () => 1_000_000 })
    const fences = (): number => journal.replicaStats().fences
    const first = await journal.open('room/still')
    await first.append(events(1, 2))
    first.close()
    const before = fences()
    const second = await journal.open('room/still')
    expect(second.head).to.equal(2)
    // (the epoch the first took is promised here to it: trying it again was one refused fence more)
    expect(fences() - before, 'one fence, above the first take\'s epoch').to.equal(1)
    await second.append(events(3, 3))
    second.close()
    // another entity draws the clock's millisecond as before
    const other = await journal.open('room/other')
    expect(other.head).to.equal(0)
    other.close()
  })

  it('should keep snapshots with the replica and load the newest one', async () => {
    store = await LevelStore.open(dir.path)
    const journal = await openLocalJournal(store)
    const log = await journal.open('a/1')
    expect(await log.loadSnapshot()).to.equal(undefined)
    await log.append(events(1, 9))
    await log.saveSnapshot({ seq: 5, state: { items: ['x'] } })
    await log.saveSnapshot({ seq: 9, state: { items: ['x', 'y'] } })
    log.close()
    expect(await (await journal.open('a/1')).loadSnapshot()).to.deep.equal({ seq: 9, state: { items: ['x', 'y'] } })
  })

  it('should keep every append durable across a reopen of the store', async () => {
    store = await LevelStore.open(dir.path)
    const log = await (await openLocalJournal(store)).open('a/1')
    await log.append(events(1, 50))
    await store.close()
    store = await LevelStore.open(dir.path)
    expect(await all(await (await openLocalJournal(store)).open('a/1'))).to.deep.equal(events(1, 50))
  })

  it('should have every acknowledged append on disk after SIGKILL', async function () {
    this.timeout(30_000)
    const fixture = fileURLToPath(new URL('../fixtures/append-until-killed.ts', import.meta.url))
    const child = spawn(process.execPath, [fixture, dir.path], { stdio: ['ignore', 'pipe', 'inherit'] })
    const acked = new Map<string, number>()
    let buffered = ''
    let ackCount = 0
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child did not reach 2000 acks in 20 s')), 20_000)
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) {
          const [word, entity, seq] = line.split(' ')
          if (word !== 'ack' || entity === undefined) continue
          acked.set(entity, Number(seq))
          if (++ackCount === 2000) {
            child.kill('SIGKILL')
            clearTimeout(timer)
            resolve()
          }
        }
      })
    })
    expect(await exited).to.equal('SIGKILL')
    store = await LevelStore.open(dir.path)
    const journal = await openLocalJournal(store)
    for (const [entity, seq] of acked) {
      const log = await journal.open(entity)
      expect(log.head, entity).to.be.at.least(seq)
      const records = await all(log) as Array<{ seq: number, event: unknown }>
      expect(records.map((r) => r.seq), entity).to.deep.equal(Array.from({ length: log.head }, (_, i) => i + 1))
      expect(records[seq - 1]?.event).to.deep.equal({ type: 'posted', text: `message ${seq} of ${entity}` })
    }
  })
})
