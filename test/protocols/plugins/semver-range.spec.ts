import { expect } from 'chai'
import { compareSemver, isSemver, isSemverRange, parseSemver, satisfiesRange } from '../../../protocols/plugins/semver-range.ts'

describe('semver range', () => {
  it('should take x.y.z versions with a pre-release and a build, and nothing looser', () => {
    for (const v of ['0.0.0', '1.2.3', '10.20.30', '1.0.0-beta.1', '1.0.0-rc-1+sha.5', '1.0.0+build']) expect(isSemver(v), v).to.equal(true)
    for (const v of ['1', '1.2', '01.2.3', '1.2.3.4', 'v1.2.3', '1.2.3-', '1.2.3-beta..1', ' 1.2.3', '', 1, null, 'x'.repeat(65)]) expect(isSemver(v), String(v)).to.equal(false)
    expect(parseSemver('1.2.3-alpha.7')).to.deep.equal({ major: 1, minor: 2, patch: 3, pre: ['alpha', '7'] })
  })

  it('should order versions by precedence, a pre-release before its release', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0']
    for (let i = 1; i < order.length; i++) {
      const a = parseSemver(order[i - 1]); const b = parseSemver(order[i])
      expect(compareSemver(a!, b!), `${order[i - 1]} < ${order[i]}`).to.be.below(0)
      expect(compareSemver(b!, a!)).to.be.above(0)
    }
    expect(compareSemver(parseSemver('1.0.0+a')!, parseSemver('1.0.0+b')!)).to.equal(0)
  })

  it('should match carets on the left-most non-zero part', () => {
    const cases: Array<[string, string, boolean]> = [
      ['^1.2.3', '1.2.3', true], ['^1.2.3', '1.9.0', true], ['^1.2.3', '2.0.0', false], ['^1.2.3', '1.2.2', false],
      ['^0.2.3', '0.2.9', true], ['^0.2.3', '0.3.0', false], ['^0.0.3', '0.0.3', true], ['^0.0.3', '0.0.4', false],
      ['^1', '1.99.0', true], ['^1', '2.0.0', false], ['^0.x', '0.9.0', true], ['^0.0', '0.0.9', true], ['^0.0', '0.1.0', false],
      ['^1.0.0', '2.0.0-beta', false], ['^1.2.3-beta.2', '1.2.3-beta.3', true], ['^1.2.3-beta.2', '1.2.3-beta.1', false]
    ]
    for (const [range, v, want] of cases) expect(satisfiesRange(v, range), `${v} in ${range}`).to.equal(want)
  })

  it('should match tildes, x-ranges, comparators, hyphens and unions', () => {
    const cases: Array<[string, string, boolean]> = [
      ['~1.2.3', '1.2.9', true], ['~1.2.3', '1.3.0', false], ['~1.2', '1.2.0', true], ['~1', '1.9.9', true], ['~1', '2.0.0', false],
      ['1.x', '1.5.0', true], ['1.x', '2.0.0', false], ['1.2.*', '1.2.7', true], ['1.2.*', '1.3.0', false], ['*', '0.0.1', true], ['', '3.0.0', true],
      ['1.2', '1.2.5', true], ['1', '1.0.0', true], ['1', '0.9.0', false], ['1.2.3', '1.2.3', true], ['=1.2.3', '1.2.4', false],
      ['>=1.0.0 <2.0.0', '1.5.0', true], ['>=1.0.0 <2.0.0', '2.0.0', false], ['>1.0.0', '1.0.0', false], ['<=1.2', '1.2.9', true], ['<1.2', '1.2.0', false],
      ['>1.x', '2.0.0', true], ['>1.x', '1.9.0', false],
      ['1.0.0 - 2.0.0', '2.0.0', true], ['1.0.0 - 2.0.0', '2.0.1', false], ['1.0 - 2', '2.9.0', true],
      ['^1.0.0 || ^2.0.0', '2.3.0', true], ['^1.0.0 || ^2.0.0', '3.0.0', false], ['<1.0.0 || >=3.0.0', '3.1.0', true]
    ]
    for (const [range, v, want] of cases) expect(satisfiesRange(v, range), `${v} in ${JSON.stringify(range)}`).to.equal(want)
  })

  it('should refuse what is not a range, and match nothing against it', () => {
    for (const r of ['>= 1.0.0', '^', '1.x.3', 'latest', '^1.2.3.4', '>=a', '~>1.0', 7, null, '1'.repeat(300)]) {
      expect(isSemverRange(r), String(r)).to.equal(false)
    }
    expect(satisfiesRange('1.0.0', 'latest')).to.equal(false)
    expect(satisfiesRange('nope', '*')).to.equal(false)
  })
})
