import { expect } from 'chai'
import { AdminWrites } from '../../../node/admin/admin-writes.ts'
import { pluginApp } from '../../helpers/admin-plugin.ts'

describe('AdminWrites', () => {
  it('should tell its watchers of every write answered, before the answer, and not of reads', async () => {
    const writes = new AdminWrites()
    const told: string[] = []
    let stop = writes.watch(() => { told.push('a') })
    let seenByAnswer = -1
    const app = await pluginApp(async (api) => {
      api.addHook('onSend', writes.hook())
      api.get('/thing', async () => ({ ok: true }))
      api.post('/thing', async () => { seenByAnswer = told.length; return { ok: true } })
      api.delete('/thing', async (_request, reply) => await reply.code(404).send({ ok: false }))
    })
    try {
      await app.inject({ method: 'GET', url: '/api/v1/thing' })
      expect(told).to.deep.equal([])
      expect((await app.inject({ method: 'POST', url: '/api/v1/thing', payload: {} })).statusCode).to.equal(200)
      // told once the route answered, before the answer went out
      expect(seenByAnswer).to.equal(0)
      expect(told).to.deep.equal(['a'])
      // a refused write too: it may have changed nothing, and a read gathered again costs one round trip
      await app.inject({ method: 'DELETE', url: '/api/v1/thing' })
      expect(told).to.deep.equal(['a', 'a'])
      stop()
      stop = writes.watch(() => { told.push('b') })
      await app.inject({ method: 'POST', url: '/api/v1/thing', payload: {} })
      expect(told).to.deep.equal(['a', 'a', 'b'])
    } finally {
      stop()
      await app.close()
    }
  })
})
