import { expect } from 'chai'
import fc from 'fast-check'
import { InvalidMessageError, checkBackupCatalogMsg } from '../../../actors/index.ts'
import type { BackupStats, ManifestRef } from '../../../actors/index.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'

const FP = '0123456789abcdef'
const ROOT = 'a'.repeat(64)
const MANIFEST: ManifestRef = { digest: 'b'.repeat(64), bytes: 4_096, holders: ['n1', 'n2'] }
const STATS: BackupStats = { partitions: 3, entities: 10, records: 500, bytes: 100_000, chunks: 4, newChunks: 4, newBytes: 100_000 }

/** Backup catalog messages, well formed or nearly: each field its right shape or a wrong one. */
function catalogMessage (): fc.Arbitrary<unknown> {
  const replyTo = fc.oneof(fc.constant({ askId: 'a1', node: 'n1' }), fc.anything())
  const id = fc.oneof(fc.constant('bk-1'), fc.constant('rs-1'), fc.string({ maxLength: 70 }))
  const field = fc.oneof(fc.constant('n1'), fc.integer(), fc.constant(FP), fc.constant(ROOT), fc.constant(null), fc.anything())
  const type = fc.constantFrom('begin', 'complete', 'fail', 'checkpoint', 'resume', 'remove', 'list', 'restore-begin', 'restore-progress', 'restore-end', 'restore-resume', 'list-restores', 'lock', 'unlock', 'drop')
  return fc.record({
    type, id, replyTo, note: fc.oneof(fc.constant(''), field), keyFingerprint: fc.oneof(fc.constant(FP), field), node: field, ts: fc.oneof(fc.constant(1), field),
    root: fc.oneof(fc.constant(ROOT), field), manifest: fc.oneof(fc.constant(MANIFEST), field), stats: fc.oneof(fc.constant(STATS), field),
    error: fc.oneof(fc.constant(null), field), checkpoint: fc.oneof(fc.constant(MANIFEST), field), from: field, backup: fc.oneof(fc.constant('bk-1'), field),
    selection: fc.oneof(fc.constant({}), field), total: fc.oneof(fc.constant(3), field), cursor: fc.oneof(fc.constant(1), field), until: fc.oneof(fc.constant(2), field)
  }, { requiredKeys: ['type', 'replyTo'] })
}

describe('checkBackupCatalogMsg', () => {
  it('should check every field of what it is sent', () => {
    const refusal = refusalOf(checkBackupCatalogMsg)
    const replyTo = { askId: 'a1', node: 'n1' }
    const complete = { type: 'complete', id: 'bk-1', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 1, replyTo }
    expect(refusal(complete)).to.equal('')
    expect(refusal({ ...complete, root: 'xyz' })).to.match(/root/)
    expect(refusal({ ...complete, manifest: { ...MANIFEST, holders: [] } })).to.match(/holders/)
    expect(refusal({ ...complete, stats: { ...STATS, chunks: -1 } })).to.match(/stats\.chunks/)
    expect(refusal({ type: 'begin', id: 'bk-1', note: 'x'.repeat(1_001), keyFingerprint: FP, node: 'n1', ts: 1, replyTo })).to.match(/note/)
    expect(refusal({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: 'nope', node: 'n1', ts: 1, replyTo })).to.match(/keyFingerprint/)
    expect(refusal({ ...complete, node: '' })).to.match(/node/)
    const checkpoint = { type: 'checkpoint', id: 'bk-1', checkpoint: MANIFEST, node: 'n1', ts: 1, replyTo }
    expect(refusal(checkpoint)).to.equal('')
    expect(refusal({ ...checkpoint, checkpoint: { ...MANIFEST, digest: 'zz' } })).to.match(/checkpoint\.digest/)
    expect(refusal({ ...checkpoint, node: undefined })).to.match(/node/)
    const resume = { type: 'resume', id: 'bk-1', from: 'n1', node: 'n2', ts: 1, replyTo }
    expect(refusal(resume)).to.equal('')
    expect(refusal({ ...resume, from: 7 })).to.match(/from/)
    expect(refusal({ ...resume, id: 'nope' })).to.match(/id/)
    const restoreBegin = { type: 'restore-begin', id: 'rs-1', backup: 'bk-1', selection: { since: 5 }, total: 2, node: 'n1', ts: 1, replyTo }
    expect(refusal(restoreBegin)).to.equal('')
    expect(refusal({ ...restoreBegin, id: 'bk-1' })).to.match(/id/)
    expect(refusal({ ...restoreBegin, selection: { since: 'yesterday' } })).to.match(/selection\.since/)
    expect(refusal({ ...restoreBegin, total: -1 })).to.match(/total/)
    expect(refusal({ type: 'restore-progress', id: 'rs-1', cursor: 1.5, node: 'n1', replyTo })).to.match(/cursor/)
    expect(refusal({ type: 'restore-end', id: 'rs-1', error: 7, node: 'n1', ts: 1, replyTo })).to.match(/error/)
    expect(refusal({ type: 'restore-end', id: 'rs-1', error: null, node: 'n1', ts: 1, replyTo })).to.equal('')
    expect(refusal({ type: 'lock', node: 'n1#a', until: 5, ts: 5, replyTo })).to.match(/until/)
    expect(refusal({ type: 'lock', node: 'n1#a', until: 1 + 31 * 60_000, ts: 1, replyTo })).to.match(/until/)
    expect(refusal({ type: 'unlock', replyTo })).to.match(/node/)
    expect(refusal({ type: 'drop', replyTo })).to.match(/type/)
    expect(refusal({ type: 'list' })).to.match(/replyTo/)
  })

  it('should name every type it knows when it refuses one it does not', () => {
    const refusal = refusalOf(checkBackupCatalogMsg, InvalidMessageError)
    expect(refusal({ type: 'drop', replyTo: { askId: 'a1', node: 'n1' } })).to.equal('backup catalog message: unknown type "drop"; expected one of begin, complete, fail, checkpoint, resume, remove, list, restore-begin, restore-progress, restore-end, restore-resume, list-restores, lock, unlock')
    expect(refusal({ type: 'constructor', replyTo: { askId: 'a1', node: 'n1' } })).to.match(/unknown type "constructor"/)
    expect(refusal({ type: 'toString', replyTo: { askId: 'a1', node: 'n1' } })).to.match(/unknown type "toString"/)
    expect(refusal('list')).to.match(/expected an object with a type/)
    expect(refusal({ type: 7 })).to.match(/type: expected a string/)
  })

  it('should pass the messages a node sends, each type', () => {
    const replyTo = { askId: 'a1', node: 'n1' }
    const refusal = refusalOf(checkBackupCatalogMsg, InvalidMessageError)
    for (const msg of [
      { type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1, replyTo },
      { type: 'complete', id: 'bk-1', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 1, node: 'n1', replyTo },
      { type: 'fail', id: 'bk-1', error: 'gone', ts: 1, replyTo },
      { type: 'remove', id: 'bk-1', replyTo },
      { type: 'list', replyTo },
      { type: 'list-restores', replyTo },
      { type: 'restore-resume', id: 'rs-1', from: 'n1', node: 'n2', ts: 1, replyTo },
      { type: 'lock', node: 'n1#a', until: 2, ts: 1, replyTo },
      { type: 'unlock', node: 'n1#a', replyTo }
    ]) expect(refusal(msg), msg.type).to.equal('')
    expect(refusal({ type: 'fail', id: 'bk-1', error: 'x'.repeat(2_001), ts: 1, replyTo })).to.match(/error/)
    expect(refusal({ type: 'remove', id: 'rs-1', replyTo })).to.match(/id/)
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    onlyRefusals(checkBackupCatalogMsg, catalogMessage(), { runs: 2_000, minPassed: 20, classes: [InvalidMessageError] })
  })
})
