import { expect } from 'chai'
import fc from 'fast-check'
import { addSeq, countSeqs, hasSeq, isSeqRanges } from '../../../actors/entities/seq-ranges.ts'
import type { SeqRanges } from '../../../actors/entities/seq-ranges.ts'

describe('seq ranges', () => {
  it('should merge adjacent seqs into one range and keep others apart', () => {
    let r: SeqRanges = []
    for (const seq of [5, 3, 4, 9, 1]) r = addSeq(r, seq)
    expect(r).to.deep.equal([[1, 1], [3, 5], [9, 9]])
    r = addSeq(r, 2)
    expect(r).to.deep.equal([[1, 5], [9, 9]])
    expect(countSeqs(r)).to.equal(6)
  })

  it('should return the same array when the seq is held already', () => {
    const r: SeqRanges = [[1, 3]]
    expect(addSeq(r, 2)).to.equal(r)
  })

  it('should hold exactly the seqs added, in well-formed ranges, whatever the order', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 120 }), (seqs) => {
      let r: SeqRanges | undefined
      for (const s of seqs) r = addSeq(r, s)
      const set = new Set(seqs)
      for (let s = 0; s <= 201; s++) expect(hasSeq(r, s)).to.equal(set.has(s))
      expect(countSeqs(r)).to.equal(set.size)
      expect(isSeqRanges(r ?? [])).to.equal(true)
    }))
  })

  it('should refuse ranges out of order, overlapping, adjacent or not integers', () => {
    expect(isSeqRanges([[3, 4], [1, 1]])).to.equal(false)
    expect(isSeqRanges([[1, 4], [4, 6]])).to.equal(false)
    expect(isSeqRanges([[1, 4], [5, 6]])).to.equal(false)
    expect(isSeqRanges([[0, 1]])).to.equal(false)
    expect(isSeqRanges([[1.5, 2]])).to.equal(false)
    expect(isSeqRanges('x')).to.equal(false)
    expect(isSeqRanges([[1, 2], [4, 4]])).to.equal(true)
  })

  it('should say an empty or absent set holds nothing', () => {
    expect(hasSeq(undefined, 1)).to.equal(false)
    expect(hasSeq([], 1)).to.equal(false)
  })
})
