import { expect } from 'chai'
import { FailureDetector } from '../../../node/mesh/failure-detector.ts'
import { MISSED_ROUNDS_BEFORE_DOWN, UNHEARD_AFTER_MISSES, probeTiming } from '../../../node/mesh/constants.ts'

describe('FailureDetector (an injected clock)', () => {
  const F = 1_000
  const clocked = (): { d: FailureDetector, at: (ms: number) => void } => {
    let now = 0
    return { d: new FailureDetector({ failureTimeout: F, now: () => now }), at: (ms) => { now = ms } }
  }

  it('should know nothing of a member until it answers, and find it alive when it does', () => {
    const { d } = clocked()
    expect(d.liveness('a')).to.equal(undefined)
    expect(d.directMissed('a'), 'a member never answered stays unknown').to.equal(false)
    expect(d.acked('a', { direct: true, rttMs: 1 })).to.equal(true)
    expect(d.liveness('a')).to.equal('alive')
    expect(d.acked('a', { direct: true, rttMs: 1 }), 'no change').to.equal(false)
  })

  it('should suspect a member whose direct probe went unanswered, and clear it when a helper reaches it', () => {
    const { d, at } = clocked()
    d.acked('a', { direct: true, rttMs: 1 })
    at(300)
    expect(d.directMissed('a')).to.equal(true)
    expect(d.liveness('a')).to.equal('suspect')
    // answered through another member: alive, but this node's own path to it is broken
    expect(d.acked('a', { direct: false })).to.equal(true)
    expect(d.liveness('a')).to.equal('alive')
    expect(d.isIndirect('a')).to.equal(true)
    d.acked('a', { direct: true, rttMs: 1 })
    expect(d.isIndirect('a')).to.equal(false)
  })

  it('should find a member dead only after enough missed rounds and the failure timeout both', () => {
    const { d, at } = clocked()
    d.acked('a', { direct: true, rttMs: 1 })
    // missed rounds in quick succession (no connection, helpers nack at once): not before F
    at(200)
    for (let i = 0; i < MISSED_ROUNDS_BEFORE_DOWN + 3; i++) d.missed('a')
    expect(d.liveness('a')).to.equal('suspect')
    at(F - 1)
    expect(d.liveness('a')).to.equal('suspect')
    at(F)
    expect(d.liveness('a')).to.equal('dead')
    // F of silence but a single missed round (this node's own timers were late: the other rounds
    // counted neither way): not dead
    d.acked('b', { direct: true, rttMs: 1 })
    d.missed('b')
    at(5 * F)
    expect(d.liveness('b')).to.equal('suspect')
    d.missed('b')
    expect(d.liveness('b')).to.equal('dead')
    // alive again at its first answer
    expect(d.acked('b', { direct: false })).to.equal(true)
    expect(d.liveness('b')).to.equal('alive')
  })

  it('should find a member whose process is gone dead at once, until it answers again', () => {
    const { d } = clocked()
    expect(d.gone('x'), 'never answered, but found gone: dead').to.equal(true)
    expect(d.liveness('x')).to.equal('dead')
    d.acked('a', { direct: true, rttMs: 1 })
    expect(d.gone('a')).to.equal(true)
    expect([d.liveness('a'), d.isGone('a')]).to.deep.equal(['dead', true])
    d.acked('a', { direct: true, rttMs: 1 })
    expect([d.liveness('a'), d.isGone('a')]).to.deep.equal(['alive', false])
  })

  it('should wait longer for a member whose answers have been slow, never past half the failure timeout', () => {
    const { d } = clocked()
    const base = probeTiming(F).timeoutMs
    expect(d.timeoutFor('a')).to.equal(base)
    d.acked('a', { direct: true, rttMs: 1 })
    expect(d.timeoutFor('a'), 'fast answers: the base timeout').to.equal(base)
    for (let i = 0; i < 20; i++) d.acked('slow', { direct: true, rttMs: i % 2 === 0 ? 150 : 350 })
    const slow = d.timeoutFor('slow')
    expect(slow).to.be.greaterThan(base)
    expect(slow).to.be.at.most(F / 2)
    for (let i = 0; i < 20; i++) d.acked('crawl', { direct: true, rttMs: 5_000 })
    expect(d.timeoutFor('crawl')).to.equal(F / 2)
  })

  it('should learn that a member does not hear it from the misses its pings carry, for the failure timeout', () => {
    const { d, at } = clocked()
    d.pinged('a', UNHEARD_AFTER_MISSES)
    expect(d.unhearing('a'), 'a member never answered is not tracked').to.equal(false)
    d.acked('a', { direct: true, rttMs: 1 })
    d.pinged('a', UNHEARD_AFTER_MISSES - 1)
    expect(d.unhearing('a')).to.equal(false)
    at(100)
    d.pinged('a', UNHEARD_AFTER_MISSES)
    expect(d.unhearing('a')).to.equal(true)
    at(100 + F)
    expect(d.unhearing('a'), 'no word since: forgotten').to.equal(false)
    d.pinged('a', 7)
    d.pinged('a', 0)
    expect(d.unhearing('a'), 'heard again').to.equal(false)
  })

  it('should count another member\'s "dead" as one round missed, never as a verdict by itself, and forget it at the member\'s next answer', () => {
    const { d, at } = clocked()
    d.acked('a', { direct: true, rttMs: 1 })
    expect(d.inFocus('a')).to.equal(false)
    at(5 * F)
    expect(d.reported('a', 'dead'), 'first heard').to.equal(true)
    expect(d.reported('a', 'dead'), 'heard again').to.equal(false)
    expect(d.liveness('a'), 'a report alone').to.equal('alive')
    expect(d.inFocus('a'), 'probed every tick once reported').to.equal(true)
    d.missed('a')
    expect(d.liveness('a'), 'its own round unanswered too, F since its answer').to.equal('dead')
    // it answers: the report is forgotten, and one round missed is a suspicion again
    d.acked('a', { direct: true, rttMs: 1 })
    expect(d.inFocus('a')).to.equal(false)
    at(7 * F)
    d.missed('a')
    expect(d.liveness('a')).to.equal('suspect')
    // a report within F of its last answer does not make it dead either
    d.acked('b', { direct: true, rttMs: 1 })
    d.reported('b', 'dead')
    d.missed('b')
    expect(d.liveness('b')).to.equal('suspect')
  })

  it('should tell each verdict of an outage once, and not one another member told it first', () => {
    const { d } = clocked()
    expect(d.shouldAlert('x', 'suspect'), 'a member never answered').to.equal(false)
    d.acked('a', { direct: true, rttMs: 1 })
    expect(d.shouldAlert('a', 'suspect')).to.equal(true)
    expect(d.shouldAlert('a', 'suspect')).to.equal(false)
    expect(d.shouldAlert('a', 'dead')).to.equal(true)
    expect(d.shouldAlert('a', 'dead')).to.equal(false)
    d.acked('a', { direct: true, rttMs: 1 })
    expect(d.shouldAlert('a', 'suspect'), 'a new outage').to.equal(true)
    d.acked('b', { direct: true, rttMs: 1 })
    expect(d.reported('b', 'dead')).to.equal(true)
    expect(d.shouldAlert('b', 'suspect')).to.equal(false)
    expect(d.shouldAlert('b', 'dead')).to.equal(false)
    // a member whose process is gone is not reported: it is dead here already
    d.acked('c', { direct: true, rttMs: 1 })
    d.gone('c')
    expect(d.reported('c', 'dead')).to.equal(false)
  })

  it('should keep in focus a member never answered, suspect, answered only through others or reported, and not one found down', () => {
    const { d, at } = clocked()
    expect(d.inFocus('new')).to.equal(true)
    d.acked('s', { direct: true, rttMs: 1 })
    d.directMissed('s')
    d.acked('i', { direct: false })
    d.acked('r', { direct: true, rttMs: 1 })
    d.reported('r', 'suspect')
    d.acked('g', { direct: true, rttMs: 1 })
    d.gone('g')
    d.acked('d', { direct: true, rttMs: 1 })
    d.acked('ok', { direct: true, rttMs: 1 })
    at(2 * F)
    d.missed('d')
    d.missed('d')
    expect(d.liveness('d')).to.equal('dead')
    expect(['s', 'i', 'r', 'g', 'd', 'ok'].map((p) => d.inFocus(p))).to.deep.equal([true, true, true, false, false, false])
  })
})
