import { expect } from 'chai'
import fc from 'fast-check'
import { BackupKey, PartitionStreamWriter, chunkSpan, decodeBlock, openChunk } from '../../../node/backup/index.ts'
import type { EntityBlock, EntityCut, SealedChunk } from '../../../node/backup/index.ts'
import { thrown } from '../../helpers/thrown.ts'

const key = new BackupKey(Buffer.alloc(32, 7))
/** Small chunks, so that a few hundred KiB of chat make many of them. */
const SMALL = { minSize: 2_048, avgSize: 8_192, maxSize: 32_768 }

/** A room's cut: `count` posts of about 200 bytes, of epoch 1 then 2. */
function room (name: string, count: number, seed = 0): EntityCut {
  const records = Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    epoch: i < count / 2 ? 1 : 2,
    event: { type: 'message-posted', user: `u${(i + seed) % 7}`, text: `post ${i} of ${name}: ${'lorem ipsum dolor sit amet '.repeat(6)}`, ts: 1_700_000_000_000 + i }
  }))
  return { entity: `room/${name}`, head: count, headEpoch: records.at(-1)?.epoch ?? 0, records, from: 'n1' }
}

function write (cuts: readonly EntityCut[]): { chunks: SealedChunk[], blocks: readonly EntityBlock[], bytes: number } {
  const writer = new PartitionStreamWriter(key, SMALL)
  const chunks: SealedChunk[] = []
  for (const cut of cuts) chunks.push(...writer.add(cut))
  const end = writer.finish()
  return { chunks: [...chunks, ...end.chunks], blocks: end.blocks, bytes: end.bytes }
}

/** One block read back from only the chunks it spans. */
function readBlock (chunks: readonly SealedChunk[], block: EntityBlock): ReturnType<typeof decodeBlock> {
  const { first, last, skip } = chunkSpan(chunks.map((c) => c.size), block)
  const plain = Buffer.concat(chunks.slice(first, last + 1).map((c) => openChunk(key, c.id, c.sealed as Buffer)))
  return decodeBlock(plain.subarray(skip, skip + block.length), block)
}

describe('PartitionStreamWriter and decodeBlock: a partition as sealed chunks, and one room back from its own', () => {
  it('should give back every entity record by record, each from only the chunks its block spans', () => {
    const cuts = [room('a', 300), room('b', 1), room('c', 40), room('d', 900)]
    const { chunks, blocks, bytes } = write(cuts)
    expect(chunks.length).to.be.greaterThan(10)
    expect(chunks.reduce((n, c) => n + c.size, 0)).to.equal(bytes)
    expect(blocks.map((b) => b.entity)).to.deep.equal(cuts.map((c) => c.entity))
    for (const [i, block] of blocks.entries()) {
      const cut = cuts[i] as EntityCut
      const back = readBlock(chunks, block)
      expect(back).to.deep.equal({ entity: cut.entity, head: cut.head, headEpoch: cut.headEpoch, records: cut.records })
    }
    // room b, one post, spans one chunk
    const span = chunkSpan(chunks.map((c) => c.size), blocks[1] as EntityBlock)
    expect(span.last - span.first).to.be.at.most(1)
  })

  it('should keep every chunk of unchanged rooms when one room of many gets new posts (an incremental backup sends only those)', () => {
    const names = Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(3, '0')}`)
    const before = write(names.map((n, i) => room(n, 20 + (i % 13), i)))
    const after = write(names.map((n, i) => room(n, (n === 'r050' ? 40 : 20) + (i % 13), i)))
    const had = new Set(before.chunks.map((c) => c.id))
    const fresh = after.chunks.filter((c) => !had.has(c.id))
    const changed = after.blocks.find((b) => b.entity === 'room/r050') as EntityBlock
    // only chunks around the changed room's block are new
    const span = chunkSpan(after.chunks.map((c) => c.size), changed)
    expect(fresh.length, `${fresh.length} new of ${after.chunks.length}`).to.be.at.most(span.last - span.first + 2)
    expect(fresh.reduce((n, c) => n + c.size, 0)).to.be.lessThan(after.bytes / 10)
    // told what is stored, the writer seals only the new chunks, and names the others by their stored digest
    const known = new Map(before.chunks.map((c) => [c.id, c.digest]))
    const writer = new PartitionStreamWriter(key, SMALL, known)
    const named: SealedChunk[] = []
    for (const [i, n] of names.entries()) named.push(...writer.add(room(n, (n === 'r050' ? 40 : 20) + (i % 13), i)))
    named.push(...writer.finish().chunks)
    expect(named.filter((c) => c.sealed !== undefined).map((c) => c.id)).to.deep.equal(fresh.map((c) => c.id))
    expect(named.filter((c) => c.sealed === undefined).every((c) => c.digest === known.get(c.id))).to.equal(true)
  })

  it('should round-trip any entities (property), and refuse a block that is not what the manifest says', () => {
    fc.assert(fc.property(fc.array(fc.record({ n: fc.nat({ max: 30 }), text: fc.string({ maxLength: 300 }), flag: fc.boolean() }), { minLength: 1, maxLength: 8 }), (specs) => {
      const cuts: EntityCut[] = specs.map((s, i) => {
        const records = Array.from({ length: s.n + 1 }, (_, j) => ({ seq: j + 1, epoch: 3, event: { text: s.text, j, flag: s.flag, nested: [s.text, { x: j }] } }))
        return { entity: `agent/u${i}`, head: s.n + 1, headEpoch: 3, records, from: 'n' }
      })
      const { chunks, blocks } = write(cuts)
      blocks.forEach((block, i) => { expect(readBlock(chunks, block).records).to.deep.equal((cuts[i] as EntityCut).records) })
    }), { numRuns: 30 })
    const cut = room('x', 5)
    const { chunks, blocks } = write([cut])
    const block = blocks[0] as EntityBlock
    const plain = openChunk(key, (chunks[0] as SealedChunk).id, (chunks[0] as SealedChunk).sealed as Buffer)
    const refusals = [
      decodeBlockError(plain, { ...block, entity: 'room/y' }),
      decodeBlockError(plain, { ...block, head: 6 }),
      decodeBlockError(plain, { ...block, headEpoch: 9 }),
      decodeBlockError(plain.subarray(0, block.length - 1), { ...block, length: block.length - 1 }),
      decodeBlockError(Buffer.concat([plain, Buffer.from([0x52, 0, 0, 0, 1, 0xc1])]), { ...block, length: block.length + 6 })
    ]
    for (const err of refusals) expect(err.name, err.message).to.equal('BackupFormatError')
    // a record frame whose body is not msgpack
    const damaged = Buffer.from(plain)
    const firstBody = 3 + Buffer.byteLength('room/x') + 5
    damaged[firstBody] = 0xc1
    expect(decodeBlockError(damaged, block).name).to.equal('BackupFormatError')
  })

  it('should give the same records when events are decoded lazily, and refuse a damaged event when it is read', () => {
    // seqs and epochs past every small msgpack integer form
    const big = { ...room('big', 70_000), records: room('big', 70_000).records.map((r) => ({ ...r, epoch: r.seq < 35_000 ? 200 : 70_000 })) }
    const cuts = [room('a', 300), { ...big, headEpoch: 70_000 }]
    const { chunks, blocks } = write(cuts)
    for (const [i, block] of blocks.entries()) {
      const { first, last, skip } = chunkSpan(chunks.map((c) => c.size), block)
      const plain = Buffer.concat(chunks.slice(first, last + 1).map((c) => openChunk(key, c.id, c.sealed as Buffer))).subarray(skip, skip + block.length)
      const lazy = decodeBlock(plain, block, { lazy: true })
      const records = (cuts[i] as EntityCut).records
      expect(lazy.records.map((r) => [r.seq, r.epoch])).to.deep.equal(records.map((r) => [r.seq, r.epoch]))
      expect(lazy.records.map((r) => r.event)).to.deep.equal(records.map((r) => r.event))
    }
    const cut = room('x', 5)
    const { chunks: one, blocks: [block] } = write([cut])
    const plain = Buffer.from(openChunk(key, (one[0] as SealedChunk).id, (one[0] as SealedChunk).sealed as Buffer))
    // the first record's event (after 0x93, seq 1, epoch 1) made an invalid msgpack byte
    const firstEvent = 3 + Buffer.byteLength('room/x') + 5 + 3
    plain[firstEvent] = 0xc1
    const lazy = decodeBlock(plain, block as EntityBlock, { lazy: true })
    expect(lazy.records[1]?.event).to.deep.equal(cut.records[1]?.event)
    expect(thrown(() => lazy.records[0]?.event).name).to.equal('BackupFormatError')
  })

  it('should refuse entities out of order, use after finish, and a block past its stream', () => {
    const writer = new PartitionStreamWriter(key, SMALL)
    writer.add(room('b', 2))
    expect(thrown(() => writer.add(room('a', 2))).name).to.equal('BackupFormatError')
    writer.finish()
    expect(thrown(() => writer.add(room('c', 2))).name).to.equal('BackupFormatError')
    expect(thrown(() => chunkSpan([10, 10], { offset: 15, length: 10 })).name).to.equal('BackupFormatError')
    expect(chunkSpan([10, 10, 10], { offset: 15, length: 10 })).to.deep.equal({ first: 1, last: 2, skip: 5 })
  })
  it('should keep a trimmed journal\'s floor and snapshot and a rewritten record\'s revision, and refuse a block whose records do not start at its floor', () => {
    const trimmed: EntityCut = { entity: 'room/t', head: 5, headEpoch: 2, records: [{ seq: 4, epoch: 2, event: 'd', rev: 3, revEpoch: 5 }, { seq: 5, epoch: 2, event: 'e' }], from: 'n1', trimmed: { floor: 4, snapshot: { seq: 3, state: { upTo: 3 } } } }
    const whole: EntityCut = { entity: 'room/w', head: 7, headEpoch: 2, records: [], from: 'n1', trimmed: { floor: 8, snapshot: { seq: 7, state: { upTo: 7 } } } }
    const { chunks, blocks } = write([trimmed, room('u', 3), whole])
    const strip = (c: EntityCut): unknown => ({ entity: c.entity, head: c.head, headEpoch: c.headEpoch, records: c.records, ...(c.trimmed !== undefined && { trimmed: c.trimmed }) })
    expect(readBlock(chunks, blocks[0] as EntityBlock)).to.deep.equal(strip(trimmed))
    expect(readBlock(chunks, blocks[2] as EntityBlock)).to.deep.equal(strip(whole))
    const lazy = decodeBlock(Buffer.concat(chunks.map((c) => openChunk(key, c.id, c.sealed as Buffer))).subarray((blocks[0] as EntityBlock).offset, (blocks[0] as EntityBlock).offset + (blocks[0] as EntityBlock).length), blocks[0] as EntityBlock, { lazy: true })
    expect(lazy.records.map((r) => [r.seq, r.event, r.rev, r.revEpoch])).to.deep.equal([[4, 'd', 3, 5], [5, 'e', undefined, undefined]])
    // a block that says it was trimmed at 3 while its records start at 4
    const wrong = write([{ ...trimmed, trimmed: { floor: 3, snapshot: { seq: 2, state: {} } } }])
    expect(thrown(() => readBlock(wrong.chunks, wrong.blocks[0] as EntityBlock))).to.have.property('name', 'BackupFormatError')
  })
})

function decodeBlockError (bytes: Uint8Array, block: EntityBlock): Error {
  return thrown(() => decodeBlock(bytes, block))
}
