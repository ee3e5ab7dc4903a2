import { expect } from 'chai'
import fc from 'fast-check'
import { constants } from '../../../actors/index.ts'
import { checkPathSegment } from '../../../actors/kernel/path-segment.ts'

describe('checkPathSegment', () => {
  it('should refuse empty, too long, slashed, control-character and $-leading segments, naming what it checked', () => {
    for (const bad of ['', 'a/b', 'tab\there', 'bell\u0007', 'del\u007f', '$reserved', 'k'.repeat(constants.ENTITY_KEY_MAX_LENGTH + 1), 5, undefined]) {
      expect(() => { checkPathSegment('entity key', bad) }, JSON.stringify(bad)).to.throw(/^invalid entity key .*: expected 1-200 characters, no '\/', no control characters, not starting with '\$'$/)
    }
  })

  it('should take any other string of 1 to 200 characters', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: constants.ENTITY_KEY_MAX_LENGTH }), (s) => {
      const ok = !s.includes('/') && !s.startsWith('$') && ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
      if (ok) checkPathSegment('actor name', s)
      else expect(() => { checkPathSegment('actor name', s) }).to.throw().with.property('name', 'InvalidNameError')
    }), { numRuns: 300, seed: 20261122 })
    checkPathSegment('actor name', 'émoji-🙂 and spaces')
  })
})
