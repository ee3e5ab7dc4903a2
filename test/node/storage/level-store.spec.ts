import { expect } from 'chai'
import { ClassicLevel } from 'classic-level'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { LevelStore, seal, sealIntact, unseal } from '../../../node/index.ts'
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

  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
  const text = (value: Uint8Array | undefined): string | undefined => value === undefined ? undefined : new TextDecoder().decode(value)

  describe('keys and values', () => {
    it('should write a value given as sealed as it is, read stored values back in key order, and refuse one with no seal', async () => {
      store = await LevelStore.open(dir.path)
      const sealedValue = seal('r\x00b', bytes('kept'))
      const digests: Array<[string, string]> = []
      await store.write([{ type: 'put', key: 'r\x00a', value: bytes('plain') }, { type: 'put', key: 'r\x00b', value: sealedValue, sealed: true }], (key, d) => { digests.push([key, Buffer.from(d).toString('hex')]) })
      expect(text(await store.get('r\x00b'))).to.equal('kept')
      expect(Buffer.from(await store.getRaw('r\x00b') as Uint8Array).equals(Buffer.from(sealedValue))).to.equal(true)
      expect(digests.map(([k]) => k)).to.deep.equal(['r\x00a', 'r\x00b'])
      expect(digests[1]?.[1]).to.equal(Buffer.from(sealedValue.subarray(1, 33)).toString('hex'))
      const stored: Uint8Array[] = []
      for await (const batch of store.storedValues({ gte: 'r\x00', lte: 'r\x00~', batch: 1 })) stored.push(...batch)
      expect(stored.map((v) => text(unseal(v === stored[0] ? 'r\x00a' : 'r\x00b', v)))).to.deep.equal(['plain', 'kept'])
      const refused = await store.write([{ type: 'put', key: 'r\x00c', value: bytes('x'), sealed: true }]).then(() => undefined, (err: Error) => err)
      expect(refused).to.have.property('name', 'CorruptRecordError')
      expect(await store.getRaw('r\x00c')).to.equal(undefined)
    })

    it('should put, delete, get and range over keys in order, atomically per write', async () => {
      store = await LevelStore.open(dir.path)
      await store.write([{ type: 'put', key: 'a\x00b', value: bytes('1') }, { type: 'put', key: 'a\x00c', value: bytes('2') }, { type: 'put', key: 'a\x00d', value: bytes('3') }])
      await store.write([{ type: 'del', key: 'a\x00c' }, { type: 'put', key: 'a\x00e', value: bytes('4') }])
      expect(text(await store.get('a\x00b'))).to.equal('1')
      expect(await store.get('a\x00c')).to.equal(undefined)
      const seen: string[] = []
      for await (const [key, value] of store.range({ gte: 'a\x00', lte: 'a\x00~' })) seen.push(`${key.slice(2)}=${text(value)}`)
      expect(seen).to.deep.equal(['b=1', 'd=3', 'e=4'])
      expect(await store.keys({ gte: 'a\x00', lte: 'a\x00~', reverse: true, limit: 2 })).to.deep.equal(['a\x00e', 'a\x00d'])
    })

    // 13 MiB of values and their deletions: held in memory together (the default write buffer),
    // or spilled into several tables first (a 1 MiB one); either way LevelDB's own compaction
    // would leave them in a lone table at the deepest level
    for (const writeBufferBytes of [undefined, 1024 * 1024]) it(`should give back the space of deleted values, their bytes in no file, once their range is compacted (write buffer ${writeBufferBytes === undefined ? 'default' : '1 MiB'})`, async () => {
      store = await LevelStore.open(dir.path, writeBufferBytes === undefined ? {} : { writeBufferBytes })
      const s = store
      const secret = 'erase-me-7f3a9c'
      const value = (i: number): Uint8Array => { const v = new Uint8Array(4096).map((_, j) => (j * 7 + i) % 251); v.set(bytes(secret), 100); return v }
      for (let b = 0; b < 8; b++) await s.write(Array.from({ length: 400 }, (_, i) => ({ type: 'put' as const, key: `r\x00${String(b * 400 + i).padStart(6, '0')}`, value: value(i) })))
      await s.write([{ type: 'put', key: 's\x00kept', value: bytes('keep-me-1c2d') }])
      for (let b = 0; b < 8; b++) await s.write(Array.from({ length: 400 }, (_, i) => ({ type: 'del' as const, key: `r\x00${String(b * 400 + i).padStart(6, '0')}` })))
      const files = async (): Promise<{ bytes: number, holding: number }> => {
        let total = 0
        let holding = 0
        for (const name of await readdir(dir.path)) {
          if (!name.endsWith('.ldb') && !name.endsWith('.log')) continue
          const data = await readFile(join(dir.path, name))
          total += data.length
          if (data.includes(Buffer.from(secret))) holding++
        }
        return { bytes: total, holding }
      }
      const before = await files()
      expect(before.holding).to.be.above(0)
      await s.compactRange('r\x00', 'r\x00\xff')
      const after = await files()
      expect(after.holding).to.equal(0)
      expect(after.bytes).to.be.below(before.bytes / 10)
      expect(text(await s.get('s\x00kept'))).to.equal('keep-me-1c2d')
    })

    it('should refuse to compact a range whose bound holds a value (it would write a deletion there), changing nothing', async () => {
      store = await LevelStore.open(dir.path)
      const s = store
      await s.write([{ type: 'put', key: 'r\x00a', value: bytes('first') }, { type: 'put', key: 'r\x00b', value: bytes('second') }])
      let err: Error | undefined
      await s.compactRange('r\x00a', 'r\x00~').catch((e: Error) => { err = e })
      expect(err?.message).to.match(/bounds must hold no value.*"r\\u0000a" holds one/)
      expect(text(await s.get('r\x00a'))).to.equal('first')
      expect(text(await s.get('r\x00b'))).to.equal('second')
      await s.compactRange('r\x00', 'r\x00~')
      expect(text(await s.get('r\x00a'))).to.equal('first')
    })

    it('should keep every write durable across a reopen, and land concurrent writes in order', async () => {
      store = await LevelStore.open(dir.path)
      const s = store
      await Promise.all(Array.from({ length: 200 }, (_, i) => s.write([{ type: 'put', key: `k\x00${String(i).padStart(3, '0')}`, value: bytes(String(i)) }])))
      await s.write([{ type: 'put', key: 'k\x00last', value: bytes('x') }])
      await store.close()
      store = await LevelStore.open(dir.path)
      expect(await store.keys({ gte: 'k\x00', lte: 'k\x00~' })).to.have.length(201)
      expect(text(await store.get('k\x00199'))).to.equal('199')
    })

    it('should read the keys asked in one turn in one LevelDB read, each caller getting its own values, and answer them before closing', async () => {
      store = await LevelStore.open(dir.path)
      await store.write(Array.from({ length: 30 }, (_, i) => ({ type: 'put' as const, key: `g\x00${String(i).padStart(2, '0')}`, value: bytes(`v${i}`) })))
      const s = store
      const before = { ...s.stats.reader }
      const asked = Array.from({ length: 10 }, (_, i) => [`g\x00${String(3 * i).padStart(2, '0')}`, `g\x00${String(3 * i + 1).padStart(2, '0')}`, 'g\x00none'])
      const answers = await Promise.all(asked.map((keys, i) => i % 2 === 0 ? s.getMany(keys) : s.getManyRaw(keys)))
      expect(s.stats.reader.reads - before.reads).to.equal(1)
      expect(s.stats.reader.keys - before.keys).to.equal(30)
      answers.forEach((values, i) => {
        expect(values).to.have.length(3)
        expect(values[2]).to.equal(undefined)
        // getManyRaw gives values as stored, seal and all
        const payload = (v: Uint8Array | undefined): string | undefined => text(i % 2 === 0 ? v : unseal(asked[i]?.[0] as string, v as Uint8Array))
        expect(payload(values[0])).to.equal(`v${3 * i}`)
      })
      expect(text((answers[0] as Array<Uint8Array | undefined>)[1])).to.equal('v1')
      expect(await s.getMany([])).to.deep.equal([])
      // keys of one prefix are read as a range, at most a few entries a key: far apart, the rest by key
      await s.write(Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: `h\x00${String(i).padStart(3, '0')}`, value: bytes(`h${i}`) })))
      const far = await Promise.all([s.getMany(['h\x00000', 'h\x00099']), s.getMany(['h\x00050', 'h\x00050x', 'h\x00051']), s.getMany(['h\x00098'])])
      expect(far.map((values) => values.map(text))).to.deep.equal([['h0', 'h99'], ['h50', undefined, 'h51'], ['h98']])
      // reads asked before the close are answered; after it, refused
      const pending = s.getMany(['g\x0005'])
      const closing = s.close()
      expect(text((await pending)[0])).to.equal('v5')
      await closing
      expect(await s.getMany(['g\x0005']).then(() => null, (e: unknown) => e)).to.have.property('name', 'StoreClosedError')
    })
  })

  describe('integrity', () => {
    it('should raise CorruptRecordError for a flipped byte, a moved value and a truncated value', async () => {
      store = await LevelStore.open(dir.path)
      await store.write(['1', '2', '3'].map((n) => ({ type: 'put' as const, key: `x\x00${n}`, value: bytes(`value ${n}`) })))
      await store.close()
      const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
      await db.open()
      const [k1, k2, k3] = ['x\x001', 'x\x002', 'x\x003']
      const v1 = Uint8Array.from(await db.get(k1) as Uint8Array)
      v1[v1.length - 1] = (v1[v1.length - 1] as number) ^ 0x40
      await db.put(k1, v1)
      await db.put(k2, await db.get(k3) as Uint8Array)   // a valid value under the wrong key
      await db.put(k3, new Uint8Array(5))
      await db.close()
      store = await LevelStore.open(dir.path)
      for (const key of [k1, k2, k3]) {
        const err = await store.get(key).then(() => null, (e: unknown) => e)
        expect(err, key).to.have.property('name', 'CorruptRecordError')
      }
      const scan = async (): Promise<void> => {
        for await (const entry of (store as LevelStore).range({ gte: 'x\x00', lte: 'x\x00~' })) void entry
      }
      expect(await scan().then(() => null, (e: unknown) => e)).to.have.property('name', 'CorruptRecordError')
      // read together, only the caller of a damaged value fails; sealIntact tells without throwing
      const s = store
      const [bad, good] = await Promise.all([s.getMany([k1]).then(() => null, (e: unknown) => e), s.getMany(['m\x00format'])])
      expect(bad).to.have.property('name', 'CorruptRecordError')
      expect(text(good[0])).to.equal('plexi-store/2')
      const raws = await s.getManyRaw([k1, k2, k3, 'm\x00format'])
      expect(raws.map((raw, i) => sealIntact([k1, k2, k3, 'm\x00format'][i] as string, raw as Uint8Array))).to.deep.equal([false, false, false, true])
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
        expect((err2 as Error).message).to.match(/format "plexi-store\/99"; this version reads "plexi-store\/1" and "plexi-store\/2"/)
      } finally {
        await other.remove()
      }
    })

    it('should refuse writes and reads once closed, after the accepted writes landed', async () => {
      store = await LevelStore.open(dir.path)
      const accepted = store.write([{ type: 'put', key: 'a\x001', value: bytes('1') }])
      const closing = store.close()
      expect(await store.write([{ type: 'put', key: 'a\x002', value: bytes('2') }]).then(() => null, (e: unknown) => e)).to.have.property('name', 'StoreClosedError')
      await accepted
      await closing
      expect(await store.get('a\x001').then(() => null, (e: unknown) => e)).to.have.property('name', 'StoreClosedError')
      store = await LevelStore.open(dir.path)
      expect(text(await store.get('a\x001'))).to.equal('1')
    })

    it('should write what atClose asks once every accepted write landed, in one batch, and close even when one such hook throws', async () => {
      store = await LevelStore.open(dir.path, { sync: false })
      const landed: string[] = []
      // the hook sees every write accepted before the close as landed
      store.atClose(() => [{ type: 'put', key: 'm\x00last', value: bytes(landed.join(',')) }])
      store.atClose(() => { throw new Error('a bug in a hook') })
      const warned = new Promise<Error>((resolve) => {
        const heard = (w: Error & { code?: string }): void => { if (w.code === 'PLEXI_STORE_LAST_WRITE') { process.off('warning', heard); resolve(w) } }
        process.on('warning', heard)
      })
      const accepted = [1, 2, 3].map(async (n) => { await store?.write([{ type: 'put', key: `a\x00${n}`, value: bytes(String(n)) }], undefined, () => { landed.push(String(n)) }) })
      const closing = store.close()
      expect(await store.write([{ type: 'put', key: 'a\x004', value: bytes('4') }]).then(() => null, (e: unknown) => e)).to.have.property('name', 'StoreClosedError')
      await Promise.all(accepted)
      await closing
      expect(await warned).to.have.property('message', 'the store\'s last write at close was not made: a bug in a hook')
      store = await LevelStore.open(dir.path)
      expect(text(await store.get('m\x00last'))).to.equal('1,2,3')
      expect(await store.get('a\x004')).to.equal(undefined)
    })
  })
})
