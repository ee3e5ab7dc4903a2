import { expect } from 'chai'
import { isRange, satisfies } from '../../../node/plugin-registry/index.ts'

describe('satisfies: a manifest\'s plexi range against the plugin API version', () => {
  it('should read npm\'s ranges as node-semver does', () => {
    const cases: Array<[string, string, boolean]> = [
      ['1.0.0', '^1.0.0', true], ['1.4.2', '^1.0.0', true], ['2.0.0', '^1.0.0', false], ['0.9.9', '^1.0.0', false],
      ['0.2.5', '^0.2.3', true], ['0.3.0', '^0.2.3', false], ['0.0.3', '^0.0.3', true], ['0.0.4', '^0.0.3', false],
      ['1.2.9', '~1.2.3', true], ['1.3.0', '~1.2.3', false], ['1.9.0', '~1', true], ['1.2.0', '~1.2', true],
      ['1.0.0', '1', true], ['1.5.0', '1.x', true], ['2.0.0', '1.x', false], ['1.2.7', '1.2', true], ['1.3.0', '1.2', false],
      ['1.0.0', '*', true], ['1.0.0', '', true], ['1.0.0', 'x', true],
      ['1.0.0', '>=1.0.0 <2.0.0', true], ['2.0.0', '>=1.0.0 <2.0.0', false], ['1.0.0', '>= 1.0.0', true],
      ['1.0.0', '>1.0.0', false], ['1.0.1', '>1.0.0', true], ['2.0.0', '>1', true], ['1.9.9', '>1', false],
      ['1.2.9', '<=1.2', true], ['1.3.0', '<=1.2', false], ['1.0.0', '<1.0.0', false], ['1.0.0', '=1.0.0', true], ['1.0.0', '1.0.0', true],
      ['1.0.0', '^2.0.0 || ^1.0.0', true], ['3.0.0', '^2.0.0 || ^1.0.0', false],
      ['1.5.0', '1.2 - 2.3', true], ['2.3.9', '1.2 - 2.3', true], ['2.4.0', '1.2 - 2.3', false], ['2.3.4', '1.2.3 - 2.3.4', true], ['2.3.5', '1.2.3 - 2.3.4', false],
      // pre-releases only within a comparator of their own x.y.z that has one
      ['2.0.0-rc.1', '^1.0.0', false], ['1.1.0-beta', '^1.0.0', false], ['1.0.0-beta.2', '>=1.0.0-beta.1', true], ['1.0.0-beta.1', '>=1.0.0-beta.2', false],
      ['1.0.0', '>=1.0.0-rc.1', true], ['1.0.0-rc.1', '<1.0.0', false]
    ]
    for (const [version, range, expected] of cases) expect(satisfies(version, range), `${version} in ${JSON.stringify(range)}`).to.equal(expected)
  })

  it('should match nothing with a range or a version it cannot read', () => {
    for (const range of ['banana', '^1.0.0 ||| 2', '>=>1', '1.0.0.0', `^${'1'.repeat(300)}`]) {
      expect(satisfies('1.0.0', range), range).to.equal(false)
      expect(isRange(range), range).to.equal(false)
    }
    expect(satisfies('1.0', '*')).to.equal(false)
    expect(isRange('^1.2.3 || 2.x')).to.equal(true)
  })
})
