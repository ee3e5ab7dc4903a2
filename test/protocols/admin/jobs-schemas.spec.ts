import { expect } from 'chai'
import { JOB_ID_PATTERN, JOB_KINDS, JOB_STATES, MAX_JOB_LEFT, jobSchema } from '../../../protocols/admin/jobs-schemas.ts'
import type { Job } from '../../../protocols/admin/jobs-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

const job: Job = {
  id: 'drain-3-k7f2', kind: 'drain', node: '12D3KooWk7f2', target: '12D3KooWb', state: 'running', total: 4, done: 1, failed: 0,
  left: [{ item: 'room/a', why: 'its new owner is joining' }], message: 'moving room/b', error: null, startedAt: '2026-01-01T00:00:00Z', endedAt: null
}

describe('jobs schemas', () => {
  it('should take a job id of a known kind, a count from 1, and the end of a peer id', () => {
    for (const id of ['drain-3-k7f2', 'repair-1-Test', 'sweep-999999999999-a']) expect(JOB_ID_PATTERN.test(id), id).to.equal(true)
    for (const id of ['drain', 'drain-1', 'drain-0-k7f2', 'teleport-1-k7f2', 'drain-1-k7f2x', 'drain-1-k7/2']) expect(JOB_ID_PATTERN.test(id), id).to.equal(false)
    expect(JOB_KINDS).to.include.members(['drain', 'decommission', 'rebalance', 'migrate', 'repair', 'backup', 'verify', 'restore', 'sweep', 'erase', 'retention'])
    expect(JOB_STATES).to.deep.equal(['running', 'done', 'failed', 'cancelled'])
  })

  it('should fit a job with what is left, at most MAX_JOB_LEFT of it', () => {
    const check = validatorOf(jobSchema)
    expect(check(job).ok).to.equal(true)
    const many = Array.from({ length: MAX_JOB_LEFT + 1 }, (_, i) => ({ item: `room/${i}`, why: 'waiting' }))
    expect(check({ ...job, left: many }).errors).to.deep.equal([`/left must NOT have more than ${MAX_JOB_LEFT} items`])
    expect(check({ ...job, kind: 'teleport' }).errors).to.deep.equal(['/kind must be equal to one of the allowed values'])
  })
})
