import { expect } from 'chai'
import fc from 'fast-check'
import { kindOf } from '../../protocols/index.ts'
import type { ActorSystem, EntityTypeKey, ReplyTo } from '../../actors/index.ts'

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

/**
 * Sends an entity what `messages` makes, 40 runs of up to 12: it takes what its type's `check`
 * passes and refuses the rest before it sees them (a `tell` says which), and never crashes or
 * restarts. `probe` is a question it answers after all of them (it handles messages in order).
 */
export async function handlesWhatItsCheckPasses (system: ActorSystem, type: EntityTypeKey<unknown>, check: (msg: unknown) => void,
  messages: fc.Arbitrary<unknown>, key: (run: number) => string, probe: (replyTo: ReplyTo<unknown>) => unknown): Promise<void> {
  let run = 0
  let passed = 0
  await fc.assert(fc.asyncProperty(fc.array(messages, { maxLength: 12 }), async (batch) => {
    run++
    const entity = system.entity(type, key(run))
    for (const msg of batch) {
      let ok = true
      try { check(msg) } catch { ok = false }
      let told: boolean
      try {
        told = entity.tell(msg)
      } catch (err) {
        // not plain data (the strict system refuses it before anything else)
        expect((err as Error).name).to.equal('NotSerializableError')
        continue
      }
      // what the check passes is delivered; what it refuses never is
      expect(told, JSON.stringify(msg)).to.equal(ok)
      if (ok) passed++
    }
    // handled in order: once this is answered, so is everything before it
    await entity.ask(probe)
    expect(system.stats.failures, 'failures').to.equal(0)
    expect(system.stats.restarts, 'restarts').to.equal(0)
  }), { numRuns: 40, seed: 20261122 })
  // the entity saw many messages, not only refusals
  expect(passed, type.type).to.be.above(20)
}
