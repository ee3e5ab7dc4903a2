import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VectorIndex } from '../../../node/search/index.ts'

describe('VectorIndex', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'plexi-vectors-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('should find the nearest by cosine, replace a vector added again, and forget one removed', () => {
    const { index } = VectorIndex.open(3)
    index.add([1, 2, 3], [Float32Array.from([1, 0, 0]), Float32Array.from([0, 1, 0]), Float32Array.from([0.8, 0.2, 0])])
    expect(index.search(Float32Array.from([1, 0, 0]), 2).map((h) => h.id)).to.deep.equal([1, 3])
    index.add([1], [Float32Array.from([0, 0, 1])])
    expect(index.size).to.equal(3)
    expect(index.search(Float32Array.from([1, 0, 0]), 1).map((h) => h.id)).to.deep.equal([3])
    index.remove([3, 99])
    expect(index.search(Float32Array.from([1, 0.1, 0]), 3).map((h) => h.id)).to.deep.equal([2, 1])
    expect(index.search(Float32Array.from([0, 0, 1]), 1)[0]?.similarity).to.be.closeTo(1, 1e-3)
  })

  it('should load what a clean close saved once, and drop a file of another width or a damaged one', () => {
    const path = join(dir, 'v.usearch')
    const first = VectorIndex.open(3, path)
    expect(first.loaded).to.equal(false)
    first.index.add([7], [Float32Array.from([0, 1, 0])])
    first.index.save()
    const second = VectorIndex.open(3, path)
    expect(second.loaded).to.equal(true)
    expect(second.index.search(Float32Array.from([0, 1, 0]), 1).map((h) => h.id)).to.deep.equal([7])
    // taken once: a crash before the next clean close leaves no file to trust
    expect(VectorIndex.open(3, path).loaded).to.equal(false)
    second.index.save()
    expect(VectorIndex.open(4, path).loaded, 'another width').to.equal(false)
    writeFileSync(path, 'damaged')
    const damaged = VectorIndex.open(3, path)
    expect(damaged.loaded).to.equal(false)
    expect(damaged.index.size).to.equal(0)
  })
})
