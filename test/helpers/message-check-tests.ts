import { expect } from 'chai'
import fc from 'fast-check'
import { kindOf } from '../../protocols/index.ts'

/** The refusal message of an entity's message check, or '' when the message passes; a refusal
 * must be of kind invalid (and an instance of `refusal` when given). */
export function refusalOf (check: (msg: unknown) => void, refusal?: new (...args: never[]) => Error): (msg: unknown) => string {
  return (msg) => {
    try {
      check(msg)
    } catch (err) {
      if (refusal !== undefined) expect(err).to.be.instanceOf(refusal)
      expect(kindOf(err), String(err)).to.equal('invalid')
      return (err as Error).message
    }
    return ''
  }
}

/**
 * A message check refuses whatever the generator makes with an invalid-kind error of the given
 * classes (and a short message), or passes it; the generator must reach at least `minPassed`
 * valid messages, or the property proves nothing.
 */
export function onlyRefusals (check: (msg: unknown) => void, messages: fc.Arbitrary<unknown>, options: { runs: number, minPassed: number, classes: ReadonlyArray<new (...args: never[]) => Error> }): void {
  let passed = 0
  fc.assert(fc.property(messages, (msg) => {
    try {
      check(msg)
      passed++
    } catch (err) {
      expect(options.classes.some((c) => err instanceof c), String(err)).to.equal(true)
      expect(kindOf(err)).to.equal('invalid')
      expect((err as Error).message.length).to.be.below(400)
    }
  }), { numRuns: options.runs, seed: 20261122 })
  expect(passed).to.be.above(options.minPassed)
}
