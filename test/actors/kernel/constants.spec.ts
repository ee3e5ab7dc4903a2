import { expect } from 'chai'
import { constants } from '../../../actors/index.ts'
import { backoffDelay, resolveFlags } from '../../../actors/kernel/supervision-flags.ts'

// The kernel's defaults hold what docs/architecture.md promises of them, and what their
// why-comments rely on.
describe('kernel constants', () => {
  it('should hold the defaults the architecture doc states', () => {
    expect(constants.DEFAULT_MAILBOX_CAPACITY).to.equal(1024)
    expect(constants.DEFAULT_ASK_TIMEOUT_MS).to.equal(5_000)
    expect(constants.TURN_SLICE_MS).to.equal(1)
    expect([constants.DEFAULT_INTENSITY, constants.DEFAULT_PERIOD_MS]).to.deep.equal([5, 10_000])
    expect([constants.DEFAULT_BACKOFF_MIN_MS, constants.DEFAULT_BACKOFF_FACTOR, constants.DEFAULT_BACKOFF_MAX_MS]).to.deep.equal([20, 2, 2_000])
    expect(constants.DEFAULT_SHUTDOWN_MS).to.equal(5_000)
    expect(constants.DEFAULT_ENTITY_INTENSITY).to.equal(3)
    expect(constants.DEFAULT_ENTITY_IDLE_MS).to.equal(120_000)
    expect(constants.DEFAULT_SNAPSHOT_EVERY).to.equal(100)
  })

  it('should let a child that crashes at every start escalate within the period: its backoffs add up to less', () => {
    const flags = resolveFlags()
    let waited = 0
    for (let k = 1; k <= constants.DEFAULT_INTENSITY; k++) waited += backoffDelay(flags, k)
    expect(waited).to.be.below(constants.DEFAULT_PERIOD_MS)
  })

  it('should hold an entity lost to a newer owner well inside the 5 s a room may take to accept posts after a heal', () => {
    expect(constants.SUPERSEDED_HOLD_MS).to.be.above(0).and.below(5_000)
    expect(constants.FORWARD_MS).to.be.above(constants.SUPERSEDED_HOLD_MS)
  })

  it('should name entity types and keys so that they fit paths, metric labels and storage keys', () => {
    for (const good of ['room', 'agent', 'a', 'user-directory', 'x'.repeat(32)]) expect(constants.ENTITY_TYPE_PATTERN.test(good), good).to.equal(true)
    for (const bad of ['Room', '1room', 'room/x', 'room_x', '', 'x'.repeat(33)]) expect(constants.ENTITY_TYPE_PATTERN.test(bad), bad).to.equal(false)
    for (const bad of ['a/b', '$x', 'nul\u0000', 'esc\u001b']) expect(constants.ENTITY_KEY_FORBIDDEN.test(bad), JSON.stringify(bad)).to.equal(true)
    expect(constants.ENTITY_KEY_FORBIDDEN.test('général x$')).to.equal(false)
  })
})
