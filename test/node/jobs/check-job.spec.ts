import { expect } from 'chai'
import { checkJob, checkJobList } from '../../../node/jobs/index.ts'
import type { Job } from '../../../node/jobs/index.ts'

const PEER = '12D3KooWQk7f2'
const GOOD: Job = {
  id: 'drain-3-k7f2', kind: 'drain', node: PEER, target: '12D3KooWOther', state: 'running', total: 10, done: 4, failed: 1,
  left: [{ item: 'room/general', why: 'its new owner did not answer' }], message: 'moving room/a', error: null,
  startedAt: '2025-01-02T03:04:05.678Z', endedAt: null
}

/** Answers from other members are checked before they are shown (a member of another version, or a
 * broken one, must not break a listing). */
describe('checkJob', () => {
  it('should take a job of the wire shape, and only its fields', () => {
    expect(checkJob(GOOD, PEER)).to.deep.equal(GOOD)
    expect(checkJob({ ...GOOD, extra: 'dropped' })).to.deep.equal(GOOD)
    const ended = { ...GOOD, state: 'failed', error: 'Error: no', endedAt: '2025-01-02T03:04:06.000Z' }
    expect(checkJob(ended)).to.deep.equal(ended)
    expect(checkJobList([GOOD, { ...GOOD, id: 'drain-4-k7f2' }], PEER)).to.have.length(2)
  })

  it('should refuse anything that is not a job of the member asked, naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /expected an object/], [[GOOD], /expected an object/], ['drain', /expected an object/],
      [{ ...GOOD, id: 'drain-3' }, /id/], [{ ...GOOD, id: 'teleport-1-k7f2', kind: 'teleport' }, /id/], [{ ...GOOD, kind: 'migrate' }, /kind/],
      [{ ...GOOD, node: 'someone-else' }, /node/], [{ ...GOOD, node: 7 }, /node/], [{ ...GOOD, target: '' }, /target/],
      [{ ...GOOD, state: 'paused' }, /state/], [{ ...GOOD, done: -1 }, /done/], [{ ...GOOD, total: 1.5 }, /total/],
      [{ ...GOOD, left: Array.from({ length: 51 }, () => ({ item: 'a', why: 'b' })) }, /left/], [{ ...GOOD, left: [{ item: 'a' }] }, /left/],
      [{ ...GOOD, message: 'x'.repeat(301) }, /message/], [{ ...GOOD, error: 7 }, /error/], [{ ...GOOD, startedAt: 'yesterday' }, /startedAt/],
      [{ ...GOOD, endedAt: '2025-01-02T03:04:06.000Z' }, /endedAt/], [{ ...GOOD, state: 'done' }, /endedAt/]
    ]
    for (const [value, field] of bad) {
      const what = JSON.stringify(value)?.slice(0, 120)
      expect(() => checkJob(value, PEER), what).to.throw(/its answer is not a job/)
      expect(() => checkJob(value, PEER), what).to.throw(field)
    }
    expect(() => checkJobList({ jobs: [] })).to.throw(/not a list of jobs/)
    expect(() => checkJobList(Array.from({ length: 1_001 }, () => GOOD))).to.throw(/over the 1000/)
    expect(() => checkJobList([GOOD, { ...GOOD, state: 7 }])).to.throw(/state/)
  })
})
