import { expect } from 'chai'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { appendFile, open, stat, truncate, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import fc from 'fast-check'
import {
  CHUNK_OVERHEAD_BYTES, ChunkDamagedError, ChunkDigestMismatchError, ChunkStore, ChunkStoreClosedError, InvalidBackupInputError,
  PACK_RECORD_HEADER_BYTES, ciphertextDigest
} from '../../../node/backup/index.ts'
import type { ChunkToStore } from '../../../node/backup/index.ts'
import { expectHolds, flipBit as flip, packFiles, randomChunk as chunk } from '../../helpers/chunk-stores.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

const NODE = resolve('node_modules/.bin/node')
const STORE_MODULE = pathToFileURL(resolve('node/backup/chunk-store.ts')).href
const H = PACK_RECORD_HEADER_BYTES

describe('ChunkStore', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: ChunkStore | undefined
  beforeEach(async () => { dir = await tempDir('plexi-chunk-store-') })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await dir.remove()
  })

  it('should give back what it stored, and undefined for a chunk it does not hold', async () => {
    store = await ChunkStore.open(dir.path)
    const chunks = [chunk(CHUNK_OVERHEAD_BYTES), chunk(5000), chunk(300 * 1024)]
    expect(await store.put(chunks)).to.deep.equal({ stored: 3, had: 0 })
    for (const c of chunks) expect((await store.get(c.id))?.equals(c.sealed)).to.equal(true)
    expect(store.size).to.equal(3)
    expect(store.bytes).to.equal(CHUNK_OVERHEAD_BYTES + 5000 + 300 * 1024)
    expect(store.has([chunks[1]!.id, chunk().id])).to.deep.equal([true, false])
    expect(await store.get(chunk().id)).to.equal(undefined)
    expect(await store.verify(chunks[0]!.id)).to.equal('ok')
    expect(await store.verify(chunk().id)).to.equal('missing')
  })

  it('should store a chunk once when it is put again, in one batch, or by callers at once', async () => {
    store = await ChunkStore.open(dir.path)
    const [a, b, c] = [chunk(), chunk(), chunk()]
    expect(await store.put([a!])).to.deep.equal({ stored: 1, had: 0 })
    expect(await store.put([a!, b!, b!])).to.deep.equal({ stored: 1, had: 2 })
    const both = await Promise.all([store.put([c!]), store.put([c!])])
    expect(both).to.deep.equal([{ stored: 1, had: 0 }, { stored: 0, had: 1 }])
    expect(store.size).to.equal(3)
    expect(store.stats().packBytes).to.equal(3 * (H + 1000))
  })

  it('should store nothing of a batch with one chunk whose bytes do not match its digest, naming it', async () => {
    store = await ChunkStore.open(dir.path)
    const good = chunk()
    const bad = chunk()
    const damaged = Buffer.from(bad.sealed)
    damaged[7] = (damaged[7] as number) ^ 1
    const err = await rejection(async () => await store!.put([good, { ...bad, sealed: damaged }]))
    expect(err).to.be.instanceOf(ChunkDigestMismatchError)
    expect(err.name).to.equal('ChunkDigestMismatchError')
    expect((err as ChunkDigestMismatchError).id).to.equal(bad.id)
    expect(err.message).to.include(bad.id)
    expect(store.size).to.equal(0)
    expect(store.stats().commits).to.equal(0)
  })

  it('should refuse malformed input with InvalidBackupInputError and store nothing', async () => {
    store = await ChunkStore.open(dir.path)
    const c = chunk()
    const bad: unknown[] = [
      'not an array', [null], [{ ...c, id: c.id.toUpperCase() }], [{ ...c, digest: 'abc' }],
      [{ ...c, sealed: 'bytes' }], [{ ...c, sealed: c.sealed.subarray(0, CHUNK_OVERHEAD_BYTES - 1) }]
    ]
    for (const value of bad) {
      expect((await rejection(async () => await store!.put(value as ChunkToStore[]))).name).to.equal('InvalidBackupInputError')
    }
    expect((await rejection(async () => await store!.get('x'))).name).to.equal('InvalidBackupInputError')
    expect((await rejection(async () => await store!.remove([c.id, 7 as unknown as string])))).to.be.instanceOf(InvalidBackupInputError)
    expect(() => store!.has('x' as unknown as string[])).to.throw(InvalidBackupInputError)
    expect(() => store!.list(undefined, 0)).to.throw(InvalidBackupInputError)
    expect(() => store!.list('zz', 10)).to.throw(InvalidBackupInputError)
    expect((await rejection(async () => await store!.challenge(c.id, new Uint8Array(15))))).to.be.instanceOf(InvalidBackupInputError)
    expect((await rejection(async () => await store!.challenge(c.id, new Uint8Array(65))))).to.be.instanceOf(InvalidBackupInputError)
    expect((await rejection(async () => await ChunkStore.open('')))).to.be.instanceOf(InvalidBackupInputError)
    expect((await rejection(async () => await ChunkStore.open(join(dir.path, 'x'), { packTargetBytes: 0 })))).to.be.instanceOf(InvalidBackupInputError)
    expect(store.size).to.equal(0)
  })

  it('should throw ChunkDamagedError naming the chunk and its pack when its stored bytes changed, never returning them', async () => {
    store = await ChunkStore.open(dir.path)
    const [a, b] = [chunk(2000), chunk(2000)]
    await store.put([a!, b!])
    const [pack] = await packFiles(dir.path)
    await flip(pack!, H + 100) // a's body
    const err = await rejection(async () => await store!.get(a!.id))
    expect(err).to.be.instanceOf(ChunkDamagedError)
    expect((err as ChunkDamagedError).id).to.equal(a!.id)
    expect((err as ChunkDamagedError).pack).to.equal(pack)
    expect(err.message).to.include(a!.id)
    expect(await store.verify(a!.id)).to.equal('damaged')
    expect((await rejection(async () => await store!.challenge(a!.id, randomBytes(16)))).name).to.equal('ChunkDamagedError')
    expect((await store.get(b!.id))?.equals(b!.sealed)).to.equal(true)
  })

  it('should answer a challenge with SHA-256(nonce ‖ sealed), another for another nonce', async () => {
    store = await ChunkStore.open(dir.path)
    const c = chunk(4000)
    await store.put([c])
    const n1 = randomBytes(16)
    const n2 = randomBytes(64)
    const a1 = await store.challenge(c.id, n1)
    expect(a1).to.equal(createHash('sha256').update(n1).update(c.sealed).digest('hex'))
    const a2 = await store.challenge(c.id, n2)
    expect(a2).to.equal(createHash('sha256').update(n2).update(c.sealed).digest('hex'))
    expect(a2).to.not.equal(a1)
    expect(await store.challenge(chunk().id, n1)).to.equal(undefined)
  })

  it('should list its ids in order, page by page', async () => {
    store = await ChunkStore.open(dir.path)
    const chunks = Array.from({ length: 25 }, () => chunk(100))
    await store.put(chunks)
    await store.remove([chunks[3]!.id])
    const want = chunks.filter((_, i) => i !== 3).map((c) => c.id).sort()
    const got: string[] = []
    let after: string | undefined
    for (let page = 0; page < 10; page++) {
      const ids = store.list(after, 7)
      got.push(...ids)
      if (ids.length < 7) break
      after = ids.at(-1)
    }
    expect(got).to.deep.equal(want)
    expect(store.list()).to.deep.equal(want)
  })

  it('should rebuild the same index on reopen, with removes and puts after removes', async () => {
    store = await ChunkStore.open(dir.path, { packTargetBytes: 4000 })
    const chunks = Array.from({ length: 12 }, () => chunk(900))
    await store.put(chunks)
    expect(await store.remove([chunks[0]!.id, chunks[1]!.id, chunks[2]!.id, chunk().id])).to.equal(3)
    const again = { ...chunk(700), id: chunks[1]!.id }
    expect(await store.put([again])).to.deep.equal({ stored: 1, had: 0 })
    await store.close()
    store = await ChunkStore.open(dir.path, { packTargetBytes: 4000 })
    const model = new Map(chunks.slice(3).map((c) => [c.id, c.sealed]))
    model.set(again.id, again.sealed)
    await expectHolds(store, model)
    expect(store.stats()).to.include({ cutBytes: 0 })
    expect(store.stats().damaged).to.deep.equal([])
    expect((await packFiles(dir.path)).length).to.be.greaterThan(1)
  })

  it('should hold what a map holds after any sequence of puts, removes, reopens and compactions', async () => {
    const POOL = 8
    const ids = Array.from({ length: POOL }, () => randomBytes(32).toString('hex'))
    const action = fc.oneof(
      // small and large chunks side by side: a pack whose large chunk lives on is not compacted
      // while its small one is removed, which is what a dropped tombstone would bring back
      { arbitrary: fc.record({ t: fc.constant('put' as const), picks: fc.array(fc.tuple(fc.nat(POOL - 1), fc.boolean()), { minLength: 1, maxLength: 4 }), seed: fc.nat(255) }), weight: 4 },
      { arbitrary: fc.record({ t: fc.constant('remove' as const), picks: fc.array(fc.nat(POOL - 1), { minLength: 1, maxLength: 4 }) }), weight: 3 },
      { arbitrary: fc.record({ t: fc.constant('reopen' as const) }), weight: 1 },
      { arbitrary: fc.record({ t: fc.constant('compact' as const) }), weight: 2 }
    )
    await fc.assert(fc.asyncProperty(fc.array(action, { maxLength: 30 }), async (actions) => {
      const run = await tempDir('plexi-chunk-store-prop-')
      const options = { packTargetBytes: 600 }
      let s = await ChunkStore.open(run.path, options)
      const model = new Map<string, Buffer>()
      try {
        for (const a of actions) {
          if (a.t === 'put') {
            const batch = a.picks.map(([p, large], i) => {
              const sealed = Buffer.alloc((large ? 400 : CHUNK_OVERHEAD_BYTES) + a.seed + i, (a.seed + p) & 0xff)
              sealed.writeUInt32BE(a.seed * 31 + i)
              return { id: ids[p] as string, digest: ciphertextDigest(sealed), sealed }
            })
            let stored = 0
            for (const c of batch) {
              if (model.has(c.id)) continue
              model.set(c.id, c.sealed)
              stored++
            }
            expect(await s.put(batch)).to.deep.equal({ stored, had: batch.length - stored })
          } else if (a.t === 'remove') {
            const names = a.picks.map((p) => ids[p] as string)
            const held = new Set(names.filter((id) => model.has(id))).size
            for (const id of names) model.delete(id)
            expect(await s.remove(names)).to.equal(held)
          } else if (a.t === 'reopen') {
            await s.close()
            s = await ChunkStore.open(run.path, options)
            expect(s.stats()).to.include({ cutBytes: 0 })
            expect(s.stats().damaged).to.deep.equal([])
          } else {
            const before = s.stats().packBytes
            const { bytesFreed } = await s.compact()
            expect(s.stats().packBytes).to.equal(before - bytesFreed)
          }
          await expectHolds(s, model)
        }
        await s.close()
        s = await ChunkStore.open(run.path, options)
        await expectHolds(s, model)
        let onDisk = 0
        for (const p of await packFiles(run.path)) onDisk += (await stat(p)).size
        expect(onDisk).to.equal(s.stats().packBytes)
      } finally {
        await s.close()
        await run.remove()
      }
    }), { numRuns: 100 })
  })

  it('should cut a torn tail of the last pack on open, keeping every chunk before it', async () => {
    store = await ChunkStore.open(dir.path)
    const chunks = Array.from({ length: 5 }, () => chunk(1000))
    await store.put(chunks)
    await store.close()
    const [pack] = await packFiles(dir.path)
    // the last record half written
    await truncate(pack!, 4 * (H + 1000) + H + 500)
    store = await ChunkStore.open(dir.path)
    expect(store.stats().cutBytes).to.equal(H + 500)
    await expectHolds(store, new Map(chunks.slice(0, 4).map((c) => [c.id, c.sealed])))
    expect((await stat(pack!)).size).to.equal(4 * (H + 1000))

    // garbage after the last record, then a record whose header is whole but whose body is not
    await store.close()
    await appendFile(pack!, randomBytes(3000))
    store = await ChunkStore.open(dir.path)
    expect(store.stats().cutBytes).to.equal(3000)
    await flip(pack!, 3 * (H + 1000) + H + 10)
    await store.close()
    store = await ChunkStore.open(dir.path)
    expect(store.stats().cutBytes).to.equal(H + 1000)
    const model = new Map(chunks.slice(0, 3).map((c) => [c.id, c.sealed]))
    await expectHolds(store, model)

    // it goes on writing where the cut was
    const next = chunk(800)
    await store.put([next])
    model.set(next.id, next.sealed)
    await store.close()
    store = await ChunkStore.open(dir.path)
    await expectHolds(store, model)
    expect(store.stats().cutBytes).to.equal(0)
  })

  it('should open a store with a damaged header in an older pack, keeping what it can read and reporting it', async () => {
    const options = { packTargetBytes: 2 * (H + 1000) }
    store = await ChunkStore.open(dir.path, options)
    const chunks = Array.from({ length: 6 }, () => chunk(1000))
    for (const c of chunks) await store.put([c])
    await store.close()
    const packs = await packFiles(dir.path)
    expect(packs).to.have.length(3)
    await flip(packs[0]!, H + 1000 + 40) // the second record's header, in the first pack
    await flip(packs[1]!, H + 500) // a body in an older pack: found when read
    store = await ChunkStore.open(dir.path, options)
    const { damaged } = store.stats()
    expect(damaged).to.have.length(1)
    expect(damaged[0]).to.include({ pack: packs[0], offset: H + 1000 })
    expect(await store.has(chunks.map((c) => c.id))).to.deep.equal([true, false, true, true, true, true])
    expect(await store.verify(chunks[2]!.id)).to.equal('damaged')
    for (const c of [chunks[0]!, chunks[3]!, chunks[4]!, chunks[5]!]) expect((await store.get(c.id))?.equals(c.sealed)).to.equal(true)
    // a damaged pack is never rewritten (and so never deleted)
    await store.remove([chunks[0]!.id])
    await store.compact()
    expect(await packFiles(dir.path)).to.include(packs[0])
  })

  it('should keep every acknowledged chunk, and forget every acknowledged remove, when its process is killed mid-write', async function () {
    this.timeout(60_000)
    const script = join(dir.path, 'writer.mjs')
    await writeFile(script, `
import { createHash, randomBytes } from 'node:crypto'
const [storeUrl, dir] = process.argv.slice(2)
const { ChunkStore } = await import(storeUrl)
const store = await ChunkStore.open(dir, { packTargetBytes: 256 * 1024 })
async function writer () {
  for (let round = 0; ; round++) {
    const batch = Array.from({ length: 8 }, () => {
      const sealed = randomBytes(29 + Math.floor(Math.random() * 16000))
      return { id: randomBytes(32).toString('hex'), digest: createHash('sha256').update(sealed).digest('hex'), sealed }
    })
    await store.put(batch)
    process.stdout.write(batch.map((c) => '+ ' + c.id + ' ' + c.digest + '\\n').join(''))
    if (round % 4 === 3) {
      // said before the remove is asked for: killed before its ack, the chunk may be held or not
      process.stdout.write('~ ' + batch[0].id + '\\n')
      await store.remove([batch[0].id])
      process.stdout.write('- ' + batch[0].id + '\\n')
    }
  }
}
await Promise.all([writer(), writer(), writer()])
`)
    const held = new Map<string, string>()
    const removed = new Set<string>()
    const removing = new Set<string>()
    for (let round = 0; round < 3; round++) {
      const child = spawn(NODE, [script, STORE_MODULE, join(dir.path, 'store')], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      try {
        const acks = (300 * (round + 1)) + Math.floor(Math.random() * 200)
        await new Promise<void>((resolve, reject) => {
          let seen = 0
          createInterface({ input: child.stdout }).on('line', (line) => {
            const [sign, id, digest] = line.split(' ') as [string, string, string]
            if (sign === '+') held.set(id, digest)
            else if (sign === '~') removing.add(id)
            else {
              held.delete(id)
              removed.add(id)
            }
            if (++seen === acks) resolve()
          })
          child.once('exit', (code) => { reject(new Error(`the writer exited (${code}) after ${seen} acks: ${stderr}`)) })
        })
      } finally {
        await kill(child)
      }
      const reopened = await ChunkStore.open(join(dir.path, 'store'), { packTargetBytes: 256 * 1024 })
      try {
        expect(reopened.stats().damaged).to.deep.equal([])
        expect(reopened.has([...removed])).to.deep.equal([...removed].map(() => false))
        for (const [id, digest] of held) {
          const sealed = await reopened.get(id)
          // a remove asked for and not acknowledged may or may not have been made durable
          if (sealed === undefined && removing.has(id)) continue
          expect(sealed, id).to.not.equal(undefined)
          expect(ciphertextDigest(sealed!)).to.equal(digest)
        }
      } finally {
        await reopened.close()
      }
    }
  })

  it('should finish the writes in flight on close, then refuse every call', async () => {
    store = await ChunkStore.open(dir.path)
    const c = chunk()
    const putting = store.put([c])
    await store.close()
    expect(await putting).to.deep.equal({ stored: 1, had: 0 })
    expect(await rejection(async () => await store!.put([chunk()]))).to.be.instanceOf(ChunkStoreClosedError)
    expect(await rejection(async () => await store!.get(c.id))).to.be.instanceOf(ChunkStoreClosedError)
    expect(() => store!.has([c.id])).to.throw(ChunkStoreClosedError)
    store = await ChunkStore.open(dir.path)
    expect((await store.get(c.id))?.equals(c.sealed)).to.equal(true)
  })
})

async function kill (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  // the store's lock names this pid: it is stale only once the process is reaped
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}
