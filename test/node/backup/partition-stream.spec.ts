import { expect } from 'chai'
import fc from 'fast-check'
import { createPlainCodec } from '../../../actors/index.ts'
import { BackupKey, PartitionStreamWriter, chunkAll, chunkSpan, decodeBlock, decodeLast, decodeLatest, openChunk, wholeValues } from '../../../node/backup/index.ts'
import { MAX_BACKUP_RECORD_BYTES } from '../../../node/backup/constants.ts'
import type { EntityBlock, EntityCut, SealedChunk } from '../../../node/backup/index.ts'
import type { StoredRecord } from '../../../node/replication/index.ts'
import { plain, storedCut, useChunkPool, writeStream } from '../../helpers/stored-cuts.ts'
import { rejection, thrown } from '../../helpers/thrown.ts'

const codec = createPlainCodec()

const key = new BackupKey(Buffer.alloc(32, 7))
/** Small chunks, so that a few hundred KiB of chat make many of them. */
const SMALL = { minSize: 2_048, avgSize: 8_192, maxSize: 32_768 }

const pools = useChunkPool()

/** A room's posts: `count` of about 200 bytes, of epoch 1 then 2. */
function posts (name: string, count: number, seed = 0): StoredRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    epoch: i < count / 2 ? 1 : 2,
    event: { type: 'message-posted', user: `u${(i + seed) % 7}`, text: `post ${i} of ${name}: ${'lorem ipsum dolor sit amet '.repeat(6)}`, ts: 1_700_000_000_000 + i }
  }))
}

/** A room's cut, its records as the store keeps them (`records` beside it, as they were written). */
function room (name: string, count: number, seed = 0): EntityCut & { records: StoredRecord[] } {
  const records = posts(name, count, seed)
  return { ...storedCut(`room/${name}`, records), records }
}

async function write (cuts: readonly EntityCut[], known?: ReadonlyMap<string, string>): Promise<{ chunks: SealedChunk[], blocks: readonly EntityBlock[], bytes: number }> {
  return await writeStream(pools.pool, key, cuts, SMALL, known)
}

/** One block read back from only the chunks it spans. */
function readBlock (chunks: readonly SealedChunk[], block: EntityBlock): ReturnType<typeof decodeBlock> {
  const { first, last, skip } = chunkSpan(chunks.map((c) => c.size), block)
  const bytes = Buffer.concat(chunks.slice(first, last + 1).map((c) => openChunk(key, c.id, c.sealed as Buffer)))
  const back = decodeBlock(bytes.subarray(skip, skip + block.length), block)
  return { ...back, records: plain(back.records) }
}

describe('PartitionStreamWriter and decodeBlock: a partition as sealed chunks, and one room back from its own', () => {
  it('should give back every entity record by record, each from only the chunks its block spans, each record as it was stored', async () => {
    const cuts = [room('a', 300), room('b', 1), room('c', 40), room('d', 900)]
    const { chunks, blocks, bytes } = await write(cuts)
    expect(chunks.length).to.be.greaterThan(10)
    expect(chunks.reduce((n, c) => n + c.size, 0)).to.equal(bytes)
    expect(blocks.map((b) => b.entity)).to.deep.equal(cuts.map((c) => c.entity))
    for (const [i, block] of blocks.entries()) {
      const cut = cuts[i] as (typeof cuts)[number]
      const back = readBlock(chunks, block)
      expect(back).to.deep.equal({ entity: cut.entity, head: cut.head, headEpoch: cut.headEpoch, records: cut.records })
      // the stored bytes, seal and all, come back as they went in
      const { first, last, skip } = chunkSpan(chunks.map((c) => c.size), block)
      const raw = decodeBlock(Buffer.concat(chunks.slice(first, last + 1).map((c) => openChunk(key, c.id, c.sealed as Buffer))).subarray(skip, skip + block.length), block, { lazy: true })
      expect(raw.records.map((r) => Buffer.from((r as unknown as { sealed: Uint8Array }).sealed).toString('hex'))).to.deep.equal(wholeValues(cut).map((v) => Buffer.from(v).toString('hex')))
    }
    // room b, one post, spans one chunk
    const span = chunkSpan(chunks.map((c) => c.size), blocks[1] as EntityBlock)
    expect(span.last - span.first).to.be.at.most(1)
  })

  it('should hand a long journal\'s chunks out while its block is written, streamed page by page, the same chunks in the same order as a whole one\'s taken at its end', async () => {
    // 30,000 posts (about 8 MiB): more pieces than the worker keeps in flight
    const whole = room('long', 30_000)
    const pages = wholeValues(whole)
    const streamed: EntityCut = { ...whole, values: (async function * () { for (let at = 0; at < pages.length; at += 8_000) yield pages.slice(at, at + 8_000) })() }
    const writer = new PartitionStreamWriter(() => pools.pool.session(key, 0, new Map(), SMALL))
    const taken: SealedChunk[] = []
    let during = 0
    await writer.add(streamed, async (chunks) => { during += chunks.length; taken.push(...chunks) })
    expect(during).to.be.greaterThan(0)
    taken.push(...writer.ready())
    const end = await writer.finish()
    const all = [...taken, ...end.chunks]
    const reference = await write([whole])
    expect(all.map((c) => c.id)).to.deep.equal(reference.chunks.map((c) => c.id))
    expect(end.blocks).to.deep.equal(reference.blocks)
    expect(readBlock(all, end.blocks[0] as EntityBlock).records).to.deep.equal(whole.records)
  })

  it('should keep every chunk of unchanged rooms when one room of many gets new posts (an incremental backup sends only those)', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(3, '0')}`)
    const before = await write(names.map((n, i) => room(n, 20 + (i % 13), i)))
    const after = await write(names.map((n, i) => room(n, (n === 'r050' ? 40 : 20) + (i % 13), i)))
    const had = new Set(before.chunks.map((c) => c.id))
    const fresh = after.chunks.filter((c) => !had.has(c.id))
    const changed = after.blocks.find((b) => b.entity === 'room/r050') as EntityBlock
    // only chunks around the changed room's block are new
    const span = chunkSpan(after.chunks.map((c) => c.size), changed)
    expect(fresh.length, `${fresh.length} new of ${after.chunks.length}`).to.be.at.most(span.last - span.first + 2)
    expect(fresh.reduce((n, c) => n + c.size, 0)).to.be.lessThan(after.bytes / 10)
    // told what is stored, the writer seals only the new chunks, and names the others by their stored digest
    const known = new Map(before.chunks.map((c) => [c.id, c.digest]))
    const named = (await write(names.map((n, i) => room(n, (n === 'r050' ? 40 : 20) + (i % 13), i)), known)).chunks
    expect(named.filter((c) => c.sealed !== undefined).map((c) => c.id)).to.deep.equal(fresh.map((c) => c.id))
    expect(named.filter((c) => c.sealed === undefined).every((c) => c.digest === known.get(c.id))).to.equal(true)
  })

  it('should round-trip any entities (property), and refuse a block that is not what the manifest says', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ n: fc.nat({ max: 30 }), text: fc.string({ maxLength: 300 }), flag: fc.boolean() }), { minLength: 1, maxLength: 8 }), async (specs) => {
      const records = specs.map((s) => Array.from({ length: s.n + 1 }, (_, j) => ({ seq: j + 1, epoch: 3, event: { text: s.text, j, flag: s.flag, nested: [s.text, { x: j }] } })))
      const cuts = records.map((r, i) => storedCut(`agent/u${i}`, r))
      const { chunks, blocks } = await write(cuts)
      blocks.forEach((block, i) => { expect(readBlock(chunks, block).records).to.deep.equal(records[i]) })
    }), { numRuns: 30 })
    const cut = room('x', 5)
    const { chunks, blocks } = await write([cut])
    const block = blocks[0] as EntityBlock
    const bytes = openChunk(key, (chunks[0] as SealedChunk).id, (chunks[0] as SealedChunk).sealed as Buffer)
    const refusals = [
      decodeBlockError(bytes, { ...block, entity: 'room/y' }),
      decodeBlockError(bytes, { ...block, head: 6 }),
      decodeBlockError(bytes, { ...block, headEpoch: 9 }),
      decodeBlockError(bytes.subarray(0, block.length - 1), { ...block, length: block.length - 1 }),
      decodeBlockError(Buffer.concat([bytes, Buffer.from([0x52, 0, 0, 0, 1, 0xc1])]), { ...block, length: block.length + 6 })
    ]
    for (const err of refusals) expect(err.name, err.message).to.equal('BackupFormatError')
    // a record frame whose body is not a sealed record, and one whose event does not decode
    const damaged = Buffer.from(bytes)
    const firstBody = 3 + Buffer.byteLength('room/x') + 5
    damaged[firstBody] = 0x07
    expect(decodeBlockError(damaged, block).name).to.equal('BackupFormatError')
    const badEvent = Buffer.from(bytes)
    badEvent[firstBody + 33 + 3 + 2 + 1 + 2] = 0xc1
    expect(decodeBlockError(badEvent, block).name).to.equal('BackupFormatError')
  })

  it('should give the same records when events are decoded lazily, and refuse a damaged event when it is read', async () => {
    // seqs and epochs past every small msgpack integer form
    const bigRecords = posts('big', 70_000).map((r) => ({ ...r, epoch: r.seq < 35_000 ? 200 : 70_000 }))
    const cuts = [room('a', 300), { ...storedCut('room/big', bigRecords), records: bigRecords }]
    const { chunks, blocks } = await write(cuts)
    for (const [i, block] of blocks.entries()) {
      const { first, last, skip } = chunkSpan(chunks.map((c) => c.size), block)
      const bytes = Buffer.concat(chunks.slice(first, last + 1).map((c) => openChunk(key, c.id, c.sealed as Buffer))).subarray(skip, skip + block.length)
      const lazy = decodeBlock(bytes, block, { lazy: true })
      const records = (cuts[i] as (typeof cuts)[number]).records
      expect(lazy.records.map((r) => [r.seq, r.epoch])).to.deep.equal(records.map((r) => [r.seq, r.epoch]))
      expect(lazy.records.map((r) => r.event)).to.deep.equal(records.map((r) => r.event))
    }
    const cut = room('x', 5)
    const { chunks: one, blocks: [block] } = await write([cut])
    const bytes = Buffer.from(openChunk(key, (one[0] as SealedChunk).id, (one[0] as SealedChunk).sealed as Buffer))
    // the first record's event (after its frame, seal and `{ e: 1, v:`) made an invalid msgpack byte
    const firstEvent = 3 + Buffer.byteLength('room/x') + 5 + 33 + 3 + 2 + 1 + 2
    bytes[firstEvent] = 0xc1
    const lazy = decodeBlock(bytes, block as EntityBlock, { lazy: true })
    expect(lazy.records[1]?.event).to.deep.equal(cut.records[1]?.event)
    expect(thrown(() => lazy.records[0]?.event).name).to.equal('CorruptRecordError')
  })

  it('should still read a block of a backup made before records were kept as stored (msgpack [seq, epoch, event] frames)', () => {
    const records = [{ seq: 1, epoch: 1, event: { text: 'a' } }, { seq: 2, epoch: 2, event: 'b', rev: 3 }]
    const name = Buffer.from('room/old')
    const frames = records.map((r) => {
      const body = codec.encode(r.rev === undefined ? [r.seq, r.epoch, r.event] : [r.seq, r.epoch, r.event, r.rev])
      const head = Buffer.alloc(5)
      head[0] = 0x52
      head.writeUInt32BE(body.byteLength, 1)
      return Buffer.concat([head, body])
    })
    const end = Buffer.alloc(17)
    end[0] = 0x5a
    end.writeDoubleBE(2, 1)
    end.writeDoubleBE(2, 9)
    const block = Buffer.concat([Buffer.from([0x45, 0, name.byteLength]), name, ...frames, end])
    const expected = { entity: 'room/old', offset: 0, length: block.byteLength, head: 2, headEpoch: 2 }
    expect(decodeBlock(block, expected).records).to.deep.equal(records)
    expect(plain(decodeBlock(block, expected, { lazy: true }).records)).to.deep.equal(records)
  })

  it('should refuse entities out of order, use after finish, and a block past its stream', async () => {
    const writer = new PartitionStreamWriter(() => pools.pool.session(key, 0, new Map(), SMALL))
    await writer.add(room('b', 2))
    expect((await rejection(async () => { await writer.add(room('a', 2)) })).name).to.equal('BackupFormatError')
    await writer.finish()
    expect((await rejection(async () => { await writer.add(room('c', 2)) })).name).to.equal('BackupFormatError')
    expect(thrown(() => chunkSpan([10, 10], { offset: 15, length: 10 })).name).to.equal('BackupFormatError')
    expect(chunkSpan([10, 10, 10], { offset: 15, length: 10 })).to.deep.equal({ first: 1, last: 2, skip: 5 })
  })

  it('should keep a trimmed journal\'s floor and snapshot and a rewritten record\'s revision, and refuse a block whose records do not start at its floor', async () => {
    const kept = [{ seq: 4, epoch: 2, event: 'd', rev: 3, revEpoch: 5 }, { seq: 5, epoch: 2, event: 'e' }]
    const trimmed = storedCut('room/t', kept, { trimmed: { floor: 4, snapshot: { seq: 3, state: { upTo: 3 } } } })
    const whole = storedCut('room/w', [], { head: 7, headEpoch: 2, trimmed: { floor: 8, snapshot: { seq: 7, state: { upTo: 7 } } } })
    const { chunks, blocks } = await write([trimmed, room('u', 3), whole])
    expect(readBlock(chunks, blocks[0] as EntityBlock)).to.deep.equal({ entity: 'room/t', head: 5, headEpoch: 2, records: kept, trimmed: trimmed.trimmed })
    expect(readBlock(chunks, blocks[2] as EntityBlock)).to.deep.equal({ entity: 'room/w', head: 7, headEpoch: 2, records: [], trimmed: whole.trimmed })
    const lazy = decodeBlock(Buffer.concat(chunks.map((c) => openChunk(key, c.id, c.sealed as Buffer))).subarray((blocks[0] as EntityBlock).offset, (blocks[0] as EntityBlock).offset + (blocks[0] as EntityBlock).length), blocks[0] as EntityBlock, { lazy: true })
    expect(lazy.records.map((r) => [r.seq, r.event, r.rev, r.revEpoch])).to.deep.equal([[4, 'd', 3, 5], [5, 'e', undefined, undefined]])
    // a block that says it was trimmed at 3 while its records start at 4: the chunk worker finds
    // record 3's seal does not match; written unchecked, decodeBlock refuses it
    const bad = { ...trimmed, trimmed: { floor: 3, snapshot: { seq: 2, state: {} } } }
    expect((await rejection(async () => await write([bad]))).name).to.equal('CorruptRecordError')
    const writer = new PartitionStreamWriter(() => pools.pool.session(key, undefined, new Map(), SMALL))
    await writer.add(bad)
    const end = await writer.finish()
    expect(thrown(() => readBlock(end.chunks, end.blocks[0] as EntityBlock))).to.have.property('name', 'BackupFormatError')
  })

  it('should keep the snapshot the replica held after its records, named by the block, readable alone from only the chunks it spans', async () => {
    const snap = { seq: 30, state: { posters: ['u1', 'u2'], note: 'x'.repeat(3_000) } }
    const big = { seq: 5, state: { blob: 'y'.repeat(MAX_BACKUP_RECORD_BYTES) } }
    const cuts = [{ ...room('a', 40), latest: snap }, room('b', 40), { ...room('c', 10), latest: big }]
    const { chunks, blocks } = await write(cuts)
    const [a, b, c] = blocks as [EntityBlock, EntityBlock, EntityBlock]
    expect(a.snapshot).to.include({ seq: 30 })
    // none held, and one too large for a backup: no frame, and the block says none
    expect([b.snapshot, c.snapshot]).to.deep.equal([undefined, undefined])
    const back = readBlock(chunks, a)
    expect(back.latest).to.deep.equal(snap)
    expect(back.records).to.deep.equal(cuts[0]?.records)
    expect(readBlock(chunks, b)).to.not.have.property('latest')
    // the frame alone, from the chunks its span covers
    const frame = { offset: a.offset + (a.snapshot?.offset ?? 0), length: a.snapshot?.length ?? 0 }
    const { first, last, skip } = chunkSpan(chunks.map((x) => x.size), frame)
    const bytes = Buffer.concat(chunks.slice(first, last + 1).map((x) => openChunk(key, x.id, x.sealed as Buffer))).subarray(skip, skip + frame.length)
    expect(decodeLatest(bytes, a)).to.deep.equal(snap)
    // a manifest that says otherwise is refused: another seq, a frame where it names none, none where it names one
    expect(thrown(() => decodeLatest(bytes, { ...a, snapshot: { ...a.snapshot as NonNullable<EntityBlock['snapshot']>, seq: 29 } })).name).to.equal('BackupFormatError')
    expect(thrown(() => decodeLatest(bytes.subarray(1), a)).name).to.equal('BackupFormatError')
    expect(thrown(() => readBlock(chunks, { ...a, snapshot: undefined })).name).to.equal('BackupFormatError')
    expect(thrown(() => readBlock(chunks, { ...b, snapshot: { seq: 1, offset: 10, length: 6 } })).name).to.equal('BackupFormatError')
  })

  it('should name each block\'s last record and the epoch before it, readable alone from only the chunks it spans, and refuse a manifest that says otherwise', async () => {
    const cuts = [{ ...room('a', 40), latest: { seq: 30, state: { n: 30 } } }, room('b', 1), room('c', 3_000)]
    const { chunks, blocks } = await write(cuts)
    const [a, b, c] = blocks as [EntityBlock, EntityBlock, EntityBlock]
    // (posts() gives the first half epoch 1, the rest 2; one record: nothing before it)
    expect(a.last).to.include({ prevEpoch: 2 })
    expect(b.last).to.equal(undefined)
    for (const [block, cut] of [[a, cuts[0]], [c, cuts[2]]] as const) {
      const frame = { offset: block.offset + (block.last?.offset ?? 0), length: block.last?.length ?? 0 }
      const { first, last, skip } = chunkSpan(chunks.map((x) => x.size), frame)
      const bytes = Buffer.concat(chunks.slice(first, last + 1).map((x) => openChunk(key, x.id, x.sealed as Buffer))).subarray(skip, skip + frame.length)
      const record = decodeLast(bytes, block)
      expect([record.seq, record.epoch, record.event]).to.deep.equal([cut?.head, cut?.headEpoch, cut?.records.at(-1)?.event])
      expect(Buffer.from(record.sealed).equals(Buffer.from(wholeValues(cut as EntityCut).at(-1) as Uint8Array))).to.equal(true)
      // bytes that are not its frame, or a manifest naming another head epoch, another place, another epoch before it
      expect(thrown(() => decodeLast(bytes.subarray(1), block)).name).to.equal('BackupFormatError')
      expect(thrown(() => decodeLast(bytes, { ...block, headEpoch: 1 })).name).to.equal('BackupFormatError')
      expect(thrown(() => readBlock(chunks, { ...block, last: { ...block.last as NonNullable<EntityBlock['last']>, offset: 3 } })).name).to.equal('BackupFormatError')
      expect(thrown(() => readBlock(chunks, { ...block, last: { ...block.last as NonNullable<EntityBlock['last']>, prevEpoch: 1 } })).name).to.equal('BackupFormatError')
    }
  })

  it('should cut the same chunks on the workers as the chunker does on one thread, however the stream is split into pieces', async () => {
    const cuts = [room('p', 5_000), room('q', 12), room('r', 3_000)]
    const { chunks, bytes } = await write(cuts)
    // the stream itself, as one buffer: the blocks back to back
    const stream = Buffer.concat(chunks.map((c) => openChunk(key, c.id, c.sealed as Buffer)))
    expect(stream.byteLength).to.equal(bytes)
    expect(chunkAll(stream, SMALL).map((c) => key.chunkId(c))).to.deep.equal(chunks.map((c) => c.id))
  })
})

function decodeBlockError (bytes: Uint8Array, block: EntityBlock): Error {
  return thrown(() => decodeBlock(bytes, block))
}
