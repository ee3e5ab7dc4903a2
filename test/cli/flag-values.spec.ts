import { expect } from 'chai'
import { UsageError } from '../../cli/cli-errors.ts'
import { decimal, integer, listed, toolName, toolNames } from '../../cli/flag-values.ts'
import { thrown } from '../helpers/thrown.ts'

describe('flag-values', () => {
  it('should read an integer within its bounds, and refuse anything else naming the flag', () => {
    expect(integer('0', '--n', 0, 5)).to.equal(0)
    expect(integer('5', '--n', 0, 5)).to.equal(5)
    for (const text of ['6', '-1', '1.5', '', ' 2', '1e3', '99999999999999999999']) {
      const err = thrown(() => integer(text, '--n', 0, 5))
      expect(err, text).to.be.instanceOf(UsageError)
      expect(err.message).to.equal(`--n: expected an integer from 0 to 5, got ${JSON.stringify(text)}`)
    }
  })

  it('should read a decimal within its bounds, and refuse anything else naming the flag', () => {
    expect(decimal('0.25', '--t', 0, 2)).to.equal(0.25)
    expect(decimal('2', '--t', 0, 2)).to.equal(2)
    for (const text of ['2.5', '-0.1', '.5', 'NaN', 'Infinity']) {
      expect(thrown(() => decimal(text, '--t', 0, 2)).message, text).to.equal(`--t: expected a number from 0 to 2, got ${JSON.stringify(text)}`)
    }
  })

  it('should collect a repeated flag\'s comma-separated values, in order', () => {
    expect(listed('a__b')).to.deep.equal(['a__b'])
    expect(listed(' c__*, d__e ,', listed('a__b'))).to.deep.equal(['a__b', 'c__*', 'd__e'])
  })

  it('should take tool names and sources\' *, each once, and refuse anything else naming the flag and the name', () => {
    expect(toolNames(['clock__now', 'calc__*', 'clock__now'], '--grant')).to.deep.equal(['clock__now', 'calc__*'])
    expect(toolNames([], '--grant')).to.deep.equal([])
    for (const bad of ['clock', 'Clock__now', 'clock__now!', `s__${'t'.repeat(70)}`]) {
      const err = thrown(() => toolNames(['a__b', bad], '--enable'))
      expect(err, bad).to.be.instanceOf(UsageError)
      expect(err.message).to.equal(`--enable: expected tools named <source>__<tool> or <source>__*, got ${JSON.stringify(bad)}`)
    }
    expect(thrown(() => toolNames(Array.from({ length: 65 }, (_, i) => `s__t${i}`), '--grant')).message).to.equal('--grant: at most 64 tools at once, got 65')
  })

  it('should take one tool by its qualified name, and refuse a source\'s * or anything else naming the flag', () => {
    expect(toolName('clock__now', '--tool')).to.equal('clock__now')
    for (const bad of ['clock__*', 'clock', 'Clock__now', `s__${'t'.repeat(70)}`, '']) {
      const err = thrown(() => toolName(bad, '--tool'))
      expect(err, bad).to.be.instanceOf(UsageError)
      expect(err.message).to.equal(`--tool: expected one tool named <source>__<tool>, got ${JSON.stringify(bad)}`)
    }
  })
})
