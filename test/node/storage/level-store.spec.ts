import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { LevelStore, seal, unseal } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('LevelStore', () => {
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

  describe('journal', () => {
    it('should append, read from a seq with a limit, replay, and report the highest seq', async () => {
      store = await LevelStore.open(dir.path)
      await store.journal.append('room/general', events(1, 3))
      await store.journal.append('room/general', events(4, 10))
      await store.journal.append('room/general-2', events(1, 2))
      expect(await store.journal.highestSeq('room/general')).to.equal(10)
      expect(await store.journal.highestSeq('room/general-2')).to.equal(2)
      expect(await store.journal.highestSeq('room/none')).to.equal(0)
      expect(await store.journal.read('room/general', { from: 4, limit: 3 })).to.deep.equal(events(4, 6))
      expect(await store.journal.read('room/general', { from: 11, limit: 3 })).to.deep.equal([])
      expect(await store.journal.read('room/general', { from: 1, limit: 0 })).to.deep.equal([])
      const bad = await store.journal.read('room/general', { from: 1, limit: Number.NaN }).then(() => null, (e: unknown) => e)
      expect(bad).to.be.instanceOf(RangeError)
      const replayed = []
      for await (const record of store.journal.replay('room/general', 8)) replayed.push(record)
      expect(replayed).to.deep.equal(events(8, 10))
    })

    it('should keep every append durable across a reopen', async () => {
      store = await LevelStore.open(dir.path)
      await store.journal.append('a/1', events(1, 50))
      await store.close()
      store = await LevelStore.open(dir.path)
      expect(await store.journal.read('a/1', { from: 1, limit: 100 })).to.deep.equal(events(1, 50))
    })

    it('should land many concurrent appends, each entity in order', async () => {
      store = await LevelStore.open(dir.path)
      const s = store
      await Promise.all(Array.from({ length: 100 }, async (_, e) => {
        for (let seq = 1; seq <= 20; seq++) await s.journal.append(`e/${e}`, [{ seq, event: { e, seq } }])
      }))
      for (const e of [0, 42, 99]) {
        const records = await s.journal.read(`e/${e}`, { from: 1, limit: 100 })
        expect(records.map((r) => r.seq)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1))
      }
    })

    it('should refuse a seq that is not a positive integer', async () => {
      store = await LevelStore.open(dir.path)
      for (const seq of [0, -1, 1.5, Number.NaN]) {
        const err = await store.journal.append('a/1', [{ seq, event: {} }]).then(() => null, (e: unknown) => e)
        expect(err, String(seq)).to.be.instanceOf(RangeError)
      }
      expect(await store.journal.highestSeq('a/1')).to.equal(0)
    })
  })

  describe('integrity', () => {
    it('should raise CorruptRecordError for a flipped byte, a moved value and a truncated value', async () => {
      store = await LevelStore.open(dir.path)
      await store.journal.append('room/x', events(1, 3))
      await store.close()
      const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
      await db.open()
      const keys = await db.keys({ gte: 'j\x00room/x\x00', lte: 'j\x00room/x\x00~' }).all()
      const [k1, k2, k3] = keys as [string, string, string]
      const v1 = Uint8Array.from(await db.get(k1) as Uint8Array)
      v1[v1.length - 1] = (v1[v1.length - 1] as number) ^ 0x40
      await db.put(k1, v1)
      await db.put(k2, await db.get(k3) as Uint8Array)   // a valid value under the wrong key
      await db.put(k3, new Uint8Array(5))
      await db.close()
      store = await LevelStore.open(dir.path)
      for (const seq of [1, 2, 3]) {
        const err = await store.journal.read('room/x', { from: seq, limit: 1 }).then(() => null, (e: unknown) => e)
        expect(err, `seq ${seq}`).to.have.property('name', 'CorruptRecordError')
      }
      const replay = async (): Promise<void> => {
        for await (const record of (store as LevelStore).journal.replay('room/x', 1)) void record
      }
      expect(await replay().then(() => null, (e: unknown) => e)).to.have.property('name', 'CorruptRecordError')
    })

    it('should seal over key and payload so that both are checked', () => {
      const value = seal('k1', new Uint8Array([1, 2, 3]))
      expect([...unseal('k1', value)]).to.deep.equal([1, 2, 3])
      expect(() => unseal('k2', value)).to.throw(/SHA-256 does not match/)
      const other = Uint8Array.from(value)
      other[0] = 9
      expect(() => unseal('k1', other)).to.throw(/unknown seal id 9/)
    })
  })

  describe('snapshots', () => {
    it('should save and load the latest snapshot, and detect a corrupt one', async () => {
      store = await LevelStore.open(dir.path)
      expect(await store.snapshots.load('a/1')).to.equal(undefined)
      await store.snapshots.save('a/1', { seq: 5, state: { items: ['x'] } })
      await store.snapshots.save('a/1', { seq: 9, state: { items: ['x', 'y'] } })
      expect(await store.snapshots.load('a/1')).to.deep.equal({ seq: 9, state: { items: ['x', 'y'] } })
      await store.close()
      const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
      await db.open()
      const v = Uint8Array.from(await db.get('s\x00a/1') as Uint8Array)
      v[40] = (v[40] as number) ^ 1
      await db.put('s\x00a/1', v)
      await db.close()
      store = await LevelStore.open(dir.path)
      expect(await store.snapshots.load('a/1').then(() => null, (e: unknown) => e)).to.have.property('name', 'CorruptRecordError')
    })
  })

  describe('opening and closing', () => {
    it('should refuse a data dir that another process holds open', async () => {
      store = await LevelStore.open(dir.path)
      const err = await LevelStore.open(dir.path).then(() => null, (e: unknown) => e)
      expect(err).to.have.property('name', 'StoreLockedError')
      expect((err as Error).message).to.match(/in use by another process/)
    })

    it('should refuse a LevelDB that is not a Plexi store, and a store of another format', async () => {
      const db = new ClassicLevel<string, string>(dir.path)
      await db.open()
      await db.put('hello', 'world')
      await db.close()
      const err = await LevelStore.open(dir.path).then(() => null, (e: unknown) => e)
      expect(err).to.have.property('name', 'StoreFormatError')
      expect((err as Error).message).to.match(/not a Plexi store/)

      const other = await tempDir()
      try {
        const db2 = new ClassicLevel<string, Uint8Array>(other.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
        await db2.open()
        await db2.put('m\x00format', seal('m\x00format', new TextEncoder().encode('plexi-store/99')))
        await db2.close()
        const err2 = await LevelStore.open(other.path).then(() => null, (e: unknown) => e)
        expect((err2 as Error).message).to.match(/format "plexi-store\/99"; this version reads "plexi-store\/1"/)
      } finally {
        await other.remove()
      }
    })

    it('should refuse writes and reads once closed, after the accepted writes landed', async () => {
      store = await LevelStore.open(dir.path)
      const accepted = store.journal.append('a/1', events(1, 1))
      const closing = store.close()
      expect(await store.journal.append('a/1', events(2, 2)).then(() => null, (e: unknown) => e)).to.have.property('name', 'StoreClosedError')
      await accepted
      await closing
      expect(await store.journal.read('a/1', { from: 1, limit: 1 }).then(() => null, (e: unknown) => e)).to.have.property('name', 'StoreClosedError')
      store = await LevelStore.open(dir.path)
      expect(await store.journal.highestSeq('a/1')).to.equal(1)
    })
  })

  describe('killed process', () => {
    it('should have every acknowledged append on disk after SIGKILL', async function () {
      this.timeout(30_000)
      const fixture = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url))
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
      for (const [entity, seq] of acked) {
        const highest = await store.journal.highestSeq(entity)
        expect(highest, entity).to.be.at.least(seq)
        const records = []
        for await (const record of store.journal.replay(entity, 1)) records.push(record)
        expect(records.map((r) => r.seq), entity).to.deep.equal(Array.from({ length: highest }, (_, i) => i + 1))
        expect(records[seq - 1]?.event).to.deep.equal({ type: 'posted', text: `message ${seq} of ${entity}` })
      }
    })
  })
})
