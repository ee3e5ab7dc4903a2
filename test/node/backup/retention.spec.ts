import { expect } from 'chai'
import { applyRetention, isoWeek, retained } from '../../../node/backup/retention.ts'

const DAY = 86_400_000
const at = (iso: string): number => Date.parse(iso)

describe('retention: which backups a policy keeps', () => {
  // three a day at 01:00, 09:00 and 17:00 UTC for 20 days, from Monday 2026-11-02
  const backups = Array.from({ length: 60 }, (_, i) => ({ id: `bk-${String(i).padStart(2, '0')}`, startedAt: at('2026-11-02T01:00:00Z') + Math.floor(i / 3) * DAY + (i % 3) * 8 * 3_600_000 }))

  it('should keep every backup when every rule is 0', () => {
    expect(retained(backups, { keepLast: 0, keepDaily: 0, keepWeekly: 0 }).size).to.equal(60)
  })

  it('should keep the newest N, the newest of each of the last days and weeks, and any a rule keeps', () => {
    expect([...retained(backups, { keepLast: 2, keepDaily: 0, keepWeekly: 0 })].sort()).to.deep.equal(['bk-58', 'bk-59'])
    // the newest of each of the last 3 days: the 17:00 ones
    expect([...retained(backups, { keepLast: 0, keepDaily: 3, keepWeekly: 0 })].sort()).to.deep.equal(['bk-53', 'bk-56', 'bk-59'])
    // weeks: Mon 11-02..Sun 11-08, 11-09..11-15, 11-16..11-21 (the last, partial): the newest of each
    expect([...retained(backups, { keepLast: 0, keepDaily: 0, keepWeekly: 3 })].sort()).to.deep.equal(['bk-20', 'bk-41', 'bk-59'])
    expect([...retained(backups, { keepLast: 1, keepDaily: 2, keepWeekly: 2 })].sort()).to.deep.equal(['bk-41', 'bk-56', 'bk-59'])
  })

  it('should name ISO weeks as ISO 8601 does, across years', () => {
    expect(isoWeek(at('2026-11-24T12:00:00Z'))).to.equal('2026-W48')
    expect(isoWeek(at('2021-01-03T12:00:00Z'))).to.equal('2020-W53')
    expect(isoWeek(at('2024-12-30T00:00:00Z'))).to.equal('2025-W01')
  })

  it('should remove the done backups of its key the policy does not keep, one at a time, and touch no other', async () => {
    const mine = backups.slice(0, 5).map((b) => ({ ...b, state: 'done', keyFingerprint: 'f1' }))
    const others = [
      { id: 'bk-other-key', startedAt: 0, state: 'done', keyFingerprint: 'f2' },
      { id: 'bk-failed', startedAt: 0, state: 'failed', keyFingerprint: 'f1' },
      { id: 'bk-running', startedAt: 0, state: 'running', keyFingerprint: 'f1' }
    ]
    const removed: string[] = []
    const gone = await applyRetention([...others, ...mine], 'f1', { keepLast: 2, keepDaily: 0, keepWeekly: 0 }, async (id) => { removed.push(id) })
    expect(gone).to.deep.equal(['bk-00', 'bk-01', 'bk-02'])
    expect(removed).to.deep.equal(gone)
    expect(await applyRetention(mine, 'f1', undefined, async () => { throw new Error('no policy: nothing removed') })).to.deep.equal([])
    // a remove that fails stops the pruning there
    const tried: string[] = []
    const failing = applyRetention(mine, 'f1', { keepLast: 1, keepDaily: 0, keepWeekly: 0 }, async (id) => { tried.push(id); if (id === 'bk-01') throw new Error('busy') })
    expect(await failing.then(() => 'done', (err: Error) => err.message)).to.equal('busy')
    expect(tried).to.deep.equal(['bk-00', 'bk-01'])
  })
})
