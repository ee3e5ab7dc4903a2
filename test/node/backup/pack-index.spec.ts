import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT, PACK_RECORD_REMOVE } from '../../../node/backup/constants.ts'
import { PackIndex } from '../../../node/backup/pack-index.ts'
import type { Pack } from '../../../node/backup/pack-index.ts'
import { ZERO_DIGEST } from '../../../node/backup/pack-record.ts'

const H = PACK_RECORD_HEADER_BYTES
const hex = (): string => randomBytes(32).toString('hex')
const put = (id: string, length: number): { kind: typeof PACK_RECORD_PUT, id: string, digest: string, length: number } => ({ kind: PACK_RECORD_PUT, id, digest: hex(), length })
const remove = (id: string): { kind: typeof PACK_RECORD_REMOVE, id: string, digest: string, length: number } => ({ kind: PACK_RECORD_REMOVE, id, digest: ZERO_DIGEST, length: 0 })

describe('PackIndex', () => {
  function withPacks (...ns: number[]): { index: PackIndex, packs: Pack[] } {
    const index = new PackIndex()
    const packs = ns.map((n) => ({ n, size: 0, live: 0, damaged: false }))
    for (const p of packs) index.addPack(p)
    return { index, packs }
  }

  it('should let the later record of an id win, counting live bytes and keeping a tombstone only while a put of it is in a pack', () => {
    const { index, packs: [one, two] } = withPacks(1, 2)
    const [a, b] = [hex(), hex()]
    index.apply(put(a, 100), 1, 0)
    index.apply(put(b, 50), 1, H + 100)
    expect([index.size, index.bytes, one?.live]).to.deep.equal([2, 150, 2 * H + 150])
    // put again: the first copy is dead
    index.apply(put(a, 100), 2, 0)
    expect(index.get(a)).to.include({ pack: 2, offset: 0, puts: 2 })
    expect([one?.live, two?.live, index.bytes]).to.deep.equal([H + 50, H + 100, 150])
    index.apply(remove(a), 2, H + 100)
    expect(index.has(a)).to.equal(false)
    expect(index.tombstone(a)).to.deep.equal({ pack: 2, offset: H + 100, puts: 2 })
    expect(two?.live).to.equal(H)
    // a remove of an id no pack holds a put of needs no tombstone
    const c = hex()
    index.apply(remove(c), 2, 2 * H + 100)
    expect(index.tombstone(c)).to.equal(undefined)
  })

  it('should list held ids in order, page by page, as ids come and go', () => {
    const { index } = withPacks(1)
    const ids = Array.from({ length: 50 }, () => hex())
    ids.forEach((id, i) => { index.apply(put(id, 10), 1, i * (H + 10)) })
    const sorted = [...ids].sort()
    expect(index.page(undefined, 20)).to.deep.equal(sorted.slice(0, 20))
    expect(index.page(sorted[19], 20)).to.deep.equal(sorted.slice(20, 40))
    for (const id of sorted.slice(0, 30)) index.apply(remove(id), 1, 0)
    const more = [hex(), hex()]
    for (const id of more) index.apply(put(id, 10), 1, 0)
    const now = [...sorted.slice(30), ...more].sort()
    expect(index.page(undefined, 1_000)).to.deep.equal(now)
    expect(index.page(now[0], 1)).to.deep.equal([now[1]])
    expect(index.page('f'.repeat(64), 10)).to.deep.equal([])
  })

  it('should point a moved record at its new place, and forget the put records of a pack that is gone', () => {
    const { index, packs: [one, , three] } = withPacks(1, 2, 3)
    const [a, b] = [hex(), hex()]
    index.apply(put(a, 100), 1, 0)
    index.apply(put(b, 100), 1, H + 100)
    index.apply(remove(b), 2, 0)
    // pack 1 compacted into pack 3: a moves; b's put is dead and its tombstone guarded only it
    const moved = put(a, 100)
    index.moved({ ...moved, digest: (index.get(a) as { digest: string }).digest }, 3, 0)
    if (one !== undefined) one.live -= H + 100
    if (three !== undefined) three.live += H + 100
    index.deletePack(1)
    index.packGone(new Map([[a, 1], [b, 1]]), new Set([a]), [])
    expect(index.get(a)).to.include({ pack: 3, offset: 0, puts: 1 })
    expect(index.tombstone(b)).to.equal(undefined)
    expect(index.pack(2)?.live).to.equal(0)
    expect(index.packCount).to.equal(2)
  })

  it('should keep the damage it is told of, and mark the pack', () => {
    const { index, packs: [one] } = withPacks(1)
    index.markDamaged(one as Pack, '/x/packs/00000001.pack', 77, 'a record header that does not match its checksum')
    expect(one?.damaged).to.equal(true)
    expect(index.damaged).to.deep.equal([{ pack: '/x/packs/00000001.pack', offset: 77, why: 'a record header that does not match its checksum' }])
  })
})
