import { expect } from 'chai'
import { MAX_IMPORT_SOURCES } from '../../../actors/entities/constants.ts'
import { MAX_EXPORT_HEAD_RANGES } from '../../../actors/entities/constants.ts'
import { checkExportHead, itemsAfter, planImport, withWatermark } from '../../../actors/entities/transfer-protocol.ts'

describe('transfer-protocol', () => {
  const items = [3, 5, 9].map((seq) => ({ seq }))

  it('should keep the items of a batch past the watermark and count the rest as skipped', () => {
    expect(itemsAfter(items, 0)).to.deep.equal({ fresh: items, skipped: 0 })
    expect(itemsAfter(items, 5)).to.deep.equal({ fresh: [{ seq: 9 }], skipped: 2 })
    expect(itemsAfter(items, 9)).to.deep.equal({ fresh: [], skipped: 3 })
  })

  it('should plan a batch past its source\'s watermark, answering what it adds, and refuse one source past the most an entity keeps', () => {
    const plan = planImport({ s: 5 }, 's', items)
    expect(plan.fresh).to.deep.equal([{ seq: 9 }])
    expect(plan.full).to.equal(false)
    expect(plan.outcome(12)).to.deep.equal({ added: 1, skipped: 2, firstSeq: 9, lastSeq: 9, watermark: 9, head: 12 })
    expect(planImport({ s: 9 }, 's', items).outcome(3)).to.deep.equal({ added: 0, skipped: 3, watermark: 9, head: 3 })
    expect(planImport({ toString: 1 }, 'constructor', items).outcome(0).watermark, 'an unknown source named like a property').to.equal(9)
    const many = Object.fromEntries(Array.from({ length: MAX_IMPORT_SOURCES }, (_, i) => [`s${i}`, 1]))
    expect(planImport(many, 'new', items).full).to.equal(true)
    expect(planImport(many, 's0', items).full, 'a known source').to.equal(false)
    expect(planImport(many, 'new', []).full, 'nothing to add').to.equal(false)
  })

  it('should only raise a watermark, and take a source named like an object property as a name', () => {
    expect(withWatermark(undefined, 's', 4)).to.deep.equal({ s: 4 })
    const marks = withWatermark({ s: 4 }, 's', 2)
    expect(marks).to.deep.equal({ s: 4 })
    expect(withWatermark(marks, 'constructor', 1)).to.deep.equal({ s: 4, constructor: 1 })
    expect(withWatermark({}, '__proto__', 7)['__proto__']).to.equal(7)
  })

  it('should take an export-head answer from a peer only when it is one', () => {
    const good = { head: 9, floor: 2, redacted: [[3, 4], [7, 7]], held: 8 }
    expect(checkExportHead(good)).to.deep.equal(good)
    expect(checkExportHead({ ...good, extra: 'dropped' })).to.deep.equal(good)
    for (const bad of [null, 5, 'x', { ...good, head: -1 }, { ...good, floor: 1.5 }, { ...good, held: 10 }, { ...good, held: '8' },
      { ...good, redacted: [[4, 3]] }, { ...good, redacted: [[3, 4], [2, 2]] }, { ...good, redacted: [[3, 4], [5, 6]] }, { ...good, redacted: 'all' },
      { ...good, redacted: Array.from({ length: MAX_EXPORT_HEAD_RANGES + 1 }, (_, i) => [2 * i + 1, 2 * i + 1]) }]) {
      expect(checkExportHead(bad), JSON.stringify(bad).slice(0, 60)).to.equal(undefined)
    }
  })
})
