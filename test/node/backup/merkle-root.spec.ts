import { expect } from 'chai'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { InvalidBackupInputError, merkleProof, merkleRoot, verifyMerkleProof } from '../../../node/backup/index.ts'
import { thrown } from '../../helpers/thrown.ts'

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}
const leafOf = (leaf: Uint8Array): Buffer => sha256(Buffer.of(0), leaf)
const nodeOf = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Buffer.of(1), left, right)

/** RFC 6962 §2.1's MTH, written as the RFC states it (slices, recursion), to check against. */
function mth (leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return sha256()
  if (leaves.length === 1) return leafOf(leaves[0] as Uint8Array)
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return nodeOf(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}

const leavesOf = (n: number, tag = 'chunk'): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`${tag}-${i}`))

describe('merkleRoot', () => {
  it('should give the empty list the SHA-256 of nothing, one leaf SHA-256(0x00 ‖ leaf), two SHA-256(0x01 ‖ left ‖ right)', () => {
    expect(merkleRoot([])).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    const [a, b] = leavesOf(2) as [Buffer, Buffer]
    expect(merkleRoot([a])).to.equal(leafOf(a).toString('hex'))
    expect(merkleRoot([a, b])).to.equal(nodeOf(leafOf(a), leafOf(b)).toString('hex'))
  })

  it('should equal RFC 6962\'s tree hash for every size from 0 to 40', () => {
    for (let n = 0; n <= 40; n++) expect(merkleRoot(leavesOf(n)), `${n} leaves`).to.equal(mth(leavesOf(n)).toString('hex'))
  })

  it('should take a string leaf as its UTF-8 bytes', () => {
    const ids = ['ab12', 'ünïcode', '']
    expect(merkleRoot(ids)).to.equal(merkleRoot(ids.map((s) => Buffer.from(s, 'utf8'))))
  })

  it('should change the root when any one leaf changes, or two leaves swap, or a leaf is added', () => {
    for (let n = 1; n <= 17; n++) {
      const leaves = leavesOf(n)
      const root = merkleRoot(leaves)
      for (let i = 0; i < n; i++) {
        const changed = [...leaves]
        changed[i] = Buffer.from(`changed-${i}`)
        expect(merkleRoot(changed), `${n} leaves, leaf ${i}`).to.not.equal(root)
      }
      if (n > 1) expect(merkleRoot([...leaves].reverse())).to.not.equal(root)
      expect(merkleRoot([...leaves, Buffer.from('one more')])).to.not.equal(root)
    }
  })

  it('should keep leaves and inner nodes apart: a leaf holding two hashes is not their parent', () => {
    const [a, b] = leavesOf(2) as [Buffer, Buffer]
    expect(merkleRoot([Buffer.concat([leafOf(a), leafOf(b)])])).to.not.equal(merkleRoot([a, b]))
  })

  it('should verify a proof of every leaf of trees of 1 to 17 leaves, and refuse another leaf, index or root', () => {
    for (let n = 1; n <= 17; n++) {
      const leaves = leavesOf(n)
      const root = merkleRoot(leaves)
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(leaves, i)
        const leaf = leaves[i] as Buffer
        expect(verifyMerkleProof(root, leaf, i, n, proof), `${n} leaves, leaf ${i}`).to.equal(true)
        expect(verifyMerkleProof(root, Buffer.from('not a leaf'), i, n, proof)).to.equal(false)
        for (let j = 0; j < n; j++) if (j !== i) expect(verifyMerkleProof(root, leaf, j, n, proof), `index ${j} for ${i} of ${n}`).to.equal(false)
        if (n > 1) expect(verifyMerkleProof(root, leaves[(i + 1) % n] as Buffer, i, n, proof)).to.equal(false)
        expect(verifyMerkleProof(merkleRoot(leavesOf(n, 'other')), leaf, i, n, proof)).to.equal(false)
        expect(verifyMerkleProof(root, leaf, i, n, [...proof, root])).to.equal(false)
        if (proof.length > 0) {
          expect(verifyMerkleProof(root, leaf, i, n, proof.slice(1))).to.equal(false)
          expect(verifyMerkleProof(root, leaf, i, n, [root, ...proof.slice(1)])).to.equal(false)
        }
      }
    }
  })

  it('should prove any leaf of any list with a proof of at most ceil(log2 n) hashes (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 200 }),
      fc.nat(),
      (mixed, pick) => {
        const leaves = mixed.map((l) => typeof l === 'string' ? Buffer.from(l) : l)
        const i = pick % leaves.length
        const proof = merkleProof(leaves, i)
        expect(proof.length).to.be.at.most(Math.ceil(Math.log2(leaves.length)))
        expect(verifyMerkleProof(merkleRoot(leaves), leaves[i] as Uint8Array, i, leaves.length, proof)).to.equal(true)
      }), { numRuns: 100, seed: 20260916 })
  })

  it('should refuse arguments of the wrong shape with InvalidBackupInputError', () => {
    const leaves = leavesOf(5)
    const root = merkleRoot(leaves)
    const proof = merkleProof(leaves, 2)
    const leaf = leaves[2] as Buffer
    const bad: Array<() => unknown> = [
      () => merkleRoot('abc' as unknown as string[]),
      () => merkleRoot([Buffer.from('a'), 7] as unknown as Uint8Array[]),
      () => merkleRoot(['\ud800']),
      () => merkleProof([], 0),
      () => merkleProof(leaves, 5),
      () => merkleProof(leaves, -1),
      () => merkleProof(leaves, 1.5),
      () => verifyMerkleProof(root.toUpperCase(), leaf, 2, 5, proof),
      () => verifyMerkleProof(root.slice(1), leaf, 2, 5, proof),
      () => verifyMerkleProof(root, 42 as unknown as Uint8Array, 2, 5, proof),
      () => verifyMerkleProof(root, leaf, 5, 5, proof),
      () => verifyMerkleProof(root, leaf, 2, 0, proof),
      () => verifyMerkleProof(root, leaf, 2, Number.NaN, proof),
      () => verifyMerkleProof(root, leaf, 2, 5, 'proof' as unknown as string[]),
      () => verifyMerkleProof(root, leaf, 2, 5, [...proof.slice(1), 'zz']),
      () => verifyMerkleProof(root, leaf, 2, 5, Array.from({ length: 54 }, () => root))
    ]
    for (const call of bad) {
      const err = thrown(call)
      expect(err, call.toString()).to.be.instanceOf(InvalidBackupInputError)
      expect(err.name).to.equal('InvalidBackupInputError')
    }
  })
})
