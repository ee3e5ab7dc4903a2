import { expect } from 'chai'
import { WriteQuorumLossError } from '../../../node/admin/errors.ts'
import { adminFastify } from '../../../node/admin/admin-fastify.ts'
import { kindOf } from '../../../protocols/index.ts'

describe('WriteQuorumLossError', () => {
  it('should be a conflict matched by its name, carrying the nodes that would be up and how many a write needs', () => {
    const err = new WriteQuorumLossError('draining b would stop writes', 1, 2)
    expect(err).to.be.instanceOf(Error)
    expect(err).to.include({ name: 'WriteQuorumLossError', kind: 'conflict', up: 1, needed: 2, message: 'draining b would stop writes' })
    expect(kindOf(err)).to.equal('conflict')
  })

  it('should reach an admin as 409 WRITE_QUORUM_LOSS with its message', async () => {
    const app = adminFastify({ logger: false })
    try {
      app.post('/drain', async () => { throw new WriteQuorumLossError('draining b would stop writes', 1, 2) })
      expect((await app.inject({ method: 'POST', url: '/drain' })).json()).to.deep.equal({ statusCode: 409, code: 'WRITE_QUORUM_LOSS', error: 'Conflict', message: 'draining b would stop writes' })
    } finally {
      await app.close()
    }
  })
})
