import { expect } from 'chai'
import { SortedNames } from '../../../node/users/sorted-names.ts'

describe('SortedNames', () => {
  it('should page names in the order localeCompare sorts them, after any name, kept in order through adds and removals', () => {
    const names = new Set(['bob', 'a-b', 'a_b', 'a1', 'ann', 'u10', 'u9', 'zed'])
    const sorted = new SortedNames(() => names)
    const order = (): string[] => [...names].sort((a, b) => a.localeCompare(b))
    expect(sorted.after(undefined, 100)).to.deep.equal({ names: order(), more: false })
    expect(sorted.after(undefined, 3)).to.deep.equal({ names: order().slice(0, 3), more: true })
    expect(sorted.after(order()[2], 3)).to.deep.equal({ names: order().slice(3, 6), more: true })
    // after a name that is not in the list: from the first one after it
    expect(sorted.after('ann0', 2).names).to.deep.equal(order().slice(order().indexOf('ann') + 1).slice(0, 2))
    expect(sorted.after('zzz', 5)).to.deep.equal({ names: [], more: false })
    for (const name of ['a', 'zz', 'b-c', 'u1']) {
      names.add(name)
      sorted.add(name)
    }
    sorted.add('zz')
    names.delete('bob')
    sorted.delete('bob')
    sorted.delete('not-there')
    expect(sorted.after(undefined, 100).names).to.deep.equal(order())
  })

  it('should read every name once, at its first page, and follow changes made before it without reading again', () => {
    let reads = 0
    const names = ['c', 'a']
    const sorted = new SortedNames(() => { reads++; return names })
    // before the first page there is nothing to keep in order: the read at the first page has them
    sorted.add('b')
    names.push('b')
    expect(sorted.after(undefined, 10).names).to.deep.equal(['a', 'b', 'c'])
    sorted.add('d')
    expect(sorted.after('b', 10).names).to.deep.equal(['c', 'd'])
    expect(reads).to.equal(1)
  })

  it('should page 10,000 names by 100 into the whole sorted list', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `user${(i * 7919) % 10_000}`)
    const sorted = new SortedNames(() => names)
    const out: string[] = []
    let after: string | undefined
    for (let i = 0; i < 101; i++) {
      const page = sorted.after(after, 100)
      out.push(...page.names)
      after = page.names.at(-1)
      if (!page.more) break
    }
    expect(out).to.deep.equal([...names].sort((a, b) => a.localeCompare(b)))
  })
})
