import { expect } from 'chai'
import { pageAfter } from '../../../node/admin/list-page.ts'

describe('pageAfter', () => {
  const rows = ['a', 'c', 'e', 'g'].map((k) => ({ k }))
  const keys = (after: string | undefined, limit: number): [string[], boolean] => {
    const page = pageAfter(rows, (r) => r.k, after, limit)
    return [page.rows.map((r) => r.k), page.more]
  }

  it('should answer the rows after a key that need not exist, at most limit, saying whether more follow', () => {
    expect(keys(undefined, 2)).to.deep.equal([['a', 'c'], true])
    expect(keys('c', 2)).to.deep.equal([['e', 'g'], false])
    expect(keys('d', 1)).to.deep.equal([['e'], true])
    expect(keys('0', 10)).to.deep.equal([['a', 'c', 'e', 'g'], false])
    expect(keys('g', 3)).to.deep.equal([[], false])
    expect(keys('z', 3)).to.deep.equal([[], false])
  })

  it('should page numbers by value, not by their text', () => {
    const numbers = [2, 9, 10, 100].map((n) => ({ n }))
    expect(pageAfter(numbers, (r) => r.n, 9, 10).rows.map((r) => r.n)).to.deep.equal([10, 100])
  })
})
