import { expect } from 'chai'
import { PAGES, PAGE_BUCKETS, bucketsOf, emptyBuckets, entriesOf, entryOf, isPaged, withEntry, withoutEntry } from '../../../actors/entities/paged-buckets.ts'
import { createPlainCodec } from '../../../actors/index.ts'

describe('paged buckets (the directories\' state)', () => {
  it('should add, replace and remove entries as new values, leaving the one it came from as it was', () => {
    const empty = emptyBuckets<number>()
    expect(empty.pages).to.have.length(PAGES)
    expect(empty.pages.every((p) => p.length === PAGE_BUCKETS)).to.equal(true)
    const one = withEntry(empty, 'a', 1)
    const replaced = withEntry(one, 'a', 2)
    const two = withEntry(replaced, 'b', 3)
    expect([empty.count, one.count, replaced.count, two.count]).to.deep.equal([0, 1, 1, 2])
    expect([entryOf(empty, 'a'), entryOf(one, 'a'), entryOf(replaced, 'a'), entryOf(two, 'b')]).to.deep.equal([undefined, 1, 2, 3])
    const removed = withoutEntry(two, 'a')
    expect(removed.count).to.equal(1)
    expect(entryOf(removed, 'a')).to.equal(undefined)
    expect(entryOf(two, 'a'), 'the value it came from keeps it').to.equal(2)
    expect(withoutEntry(removed, 'nobody')).to.equal(removed)
    // names that mean something to a plain object are plain names here
    const odd = withEntry(withEntry(empty, 'constructor', 7), '__proto__', 8)
    expect([entryOf(odd, 'constructor'), entryOf(odd, '__proto__'), entryOf(empty, 'toString')]).to.deep.equal([7, 8, undefined])
  })

  it('should list every entry once, build from entries, and round-trip through msgpackr as plain data', () => {
    const names = Array.from({ length: 3_000 }, (_, i) => `name-${i}`)
    const state = bucketsOf(names.map((n, i) => [n, i] as const))
    expect(state.count).to.equal(3_000)
    expect(Array.from(entriesOf(state)).map(([n]) => n).sort()).to.deep.equal([...names].sort())
    const back = createPlainCodec().decode(createPlainCodec().encode(state)) as typeof state
    expect(isPaged(back)).to.equal(true)
    expect(entryOf(back, 'name-2999')).to.equal(2_999)
    expect(isPaged({ rooms: {} })).to.equal(false)
  })

  it('should copy one bucket and one page per change, whatever the size (the cost of the 10,000th entry is the first\'s)', () => {
    const big = bucketsOf(Array.from({ length: 10_000 }, (_, i) => [`n${i}`, i] as const))
    const next = withEntry(big, 'new', 1)
    const changedPages = next.pages.filter((p, i) => p !== big.pages[i])
    expect(changedPages, 'pages copied').to.have.length(1)
    const changedBuckets = (changedPages[0] ?? []).filter((b, i) => b !== big.pages[next.pages.indexOf(changedPages[0] ?? [])]?.[i])
    expect(changedBuckets, 'buckets copied').to.have.length(1)
    expect(Object.keys(changedBuckets[0] ?? {}).length, 'a bucket holds a few entries at 10,000').to.be.below(10)
  })
})
