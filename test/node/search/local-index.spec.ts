import { expect } from 'chai'
import { LocalIndex, checkSearchQuery } from '../../../node/search/index.ts'
import type { IndexRow } from '../../../node/search/index.ts'

const row = (seq: number, text: string, entity = 'room/a'): IndexRow => ({ partition: 0, entity, seq, author: 'ann', ts: seq, text })

describe('LocalIndex', () => {
  it('should keep the vector index on the same rows: a row removed or changed leaves it until embedded again', () => {
    const index = new LocalIndex({ dbPath: ':memory:', vectors: { dimensions: 2 } })
    const put = index.apply({ put: [row(1, 'north wind'), row(2, 'south sea')], remove: [], redact: [], touch: [] })
    index.addVectors(put.map((p) => p.id), [Float32Array.from([1, 0]), Float32Array.from([0, 1])])
    const semantic = (v: number[]): number[] => index.search({ query: checkSearchQuery({ text: 'x', mode: 'semantic' }), viewer: { user: null }, vector: Float32Array.from(v) }).hits.map((h) => h.seq)
    expect(semantic([1, 0.1])).to.deep.equal([1, 2])
    const changed = index.apply({ put: [row(2, 'south sea, warmer')], remove: [['room/a', 1]], redact: [], touch: [] })
    expect(changed.map((p) => p.text)).to.deep.equal(['south sea, warmer'])
    expect(index.stats().vectors, 'both left the vector index').to.equal(0)
    expect(index.apply({ put: [row(2, 'south sea, warmer')], remove: [], redact: [], touch: [] }), 'an unchanged put changes nothing').to.deep.equal([])
    index.close()
  })

  it('should filter the vector side as the text side (a user sees rooms and their own agent only), and fall back to text for hybrid without vectors', () => {
    const index = new LocalIndex({ dbPath: ':memory:', vectors: { dimensions: 2 } })
    const put = index.apply({ put: [row(1, 'plans', 'agent/bob'), row(1, 'plans', 'room/x')], remove: [], redact: [], touch: [] })
    index.addVectors(put.map((p) => p.id), [Float32Array.from([1, 0]), Float32Array.from([0.9, 0.1])])
    const answer = index.search({ query: checkSearchQuery({ text: 'plans', mode: 'semantic' }), viewer: { user: 'ann' }, vector: Float32Array.from([1, 0]) })
    expect(answer.hits.map((h) => h.entity)).to.deep.equal(['room/x'])
    const wrongWidth = index.search({ query: checkSearchQuery({ text: 'plans', mode: 'hybrid' }), viewer: { user: 'ann' }, vector: Float32Array.from([1, 0, 0]) })
    expect(wrongWidth).to.deep.include({ semantic: 'unavailable' })
    expect(wrongWidth.hits.map((h) => h.entity)).to.deep.equal(['room/x'])
    index.reset()
    expect(index.stats()).to.deep.equal({ rows: 0, bytes: index.stats().bytes, vectors: 0 })
    index.close()
  })
})
