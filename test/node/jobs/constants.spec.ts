import { expect } from 'chai'
import { DEFAULT_MAX_JOBS, Jobs, MAX_JOBS_LISTED, checkJobList } from '../../../node/jobs/index.ts'

describe('jobs constants', () => {
  it('should let a node remember DEFAULT_MAX_JOBS finished jobs by default, and forget the oldest beyond', async () => {
    const jobs = new Jobs({ node: 'n1' })
    for (let i = 0; i < DEFAULT_MAX_JOBS + 3; i++) {
      const job = jobs.start('repair', null, async () => 'done')
      await jobs.settled(job.id, 5_000)
    }
    expect(jobs.list()).to.have.length(DEFAULT_MAX_JOBS)
  })

  it('should take a member\'s whole list in one answer, and no more than MAX_JOBS_LISTED', () => {
    expect(MAX_JOBS_LISTED).to.be.above(DEFAULT_MAX_JOBS)
    expect(() => checkJobList(Array.from({ length: MAX_JOBS_LISTED + 1 }, () => ({})))).to.throw(new RegExp(`over the ${MAX_JOBS_LISTED} a member may`))
  })
})
