import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import { modelPullRoutes } from '../../../../node/admin/routes/model-pull-routes.ts'
import type { ModelPullAdmin } from '../../../../node/admin/routes/model-pull-routes.ts'
import { ModelPullError } from '../../../../node/model-pull/index.ts'
import type { Job } from '../../../../protocols/index.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

const JOB: Job = { id: 'pull-1-abcd', kind: 'pull', node: '12D3KooWabcd', target: 'm', state: 'running', total: 0, done: 0, failed: 0, left: [], message: 'starting', error: null, startedAt: new Date(0).toISOString(), endedAt: null }

describe('modelPullRoutes', () => {
  const apps: FastifyInstance[] = []
  afterEach(async () => { for (const app of apps.splice(0)) await app.close() })
  const serve = async (pulls: ModelPullAdmin | undefined): Promise<FastifyInstance> => {
    const app = await pluginApp(modelPullRoutes({ pulls }))
    apps.push(app)
    return app
  }
  const post = async (app: FastifyInstance, payload: unknown): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/models/pull', payload: payload as object })
    return { status: res.statusCode, body: res.json() as Record<string, unknown> }
  }

  it('should start a pull with what the body gives, and answer 202 with its job', async () => {
    const asked: unknown[] = []
    const app = await serve({ start: (r) => { asked.push(r); return JOB } })
    expect(await post(app, { source: 'hf:o/r/m.gguf', name: 'm', sha256: 'A'.repeat(64), replace: true })).to.deep.equal({ status: 202, body: JOB })
    expect(asked).to.deep.equal([{ source: 'hf:o/r/m.gguf', name: 'm', sha256: 'A'.repeat(64), replace: true }])
  })

  it('should answer a pull refused with its kind: 400 for a bad source, 409 for a conflict, and start nothing for a body it cannot take', async () => {
    let calls = 0
    const app = await serve({
      start: (r) => {
        calls++
        throw r.source === 'bad' ? new ModelPullError('source: expected a URL', 'invalid') : new ModelPullError('m is being pulled already', 'conflict')
      }
    })
    expect(await post(app, { source: 'bad' })).to.deep.include({ status: 400 })
    const conflict = await post(app, { source: 'hf:o/r/m.gguf' })
    expect(conflict.status).to.equal(409)
    expect(conflict.body).to.include({ code: 'MODEL_PULL', message: 'm is being pulled already' })
    expect(calls).to.equal(2)
    for (const body of [{}, { source: '' }, { source: 'x', sha256: 'nothex' }, { source: 'x', extra: true }, { source: 'x', replace: 'yes' }, { source: 'x'.repeat(3000) }]) {
      expect((await post(app, body)).status, JSON.stringify(body).slice(0, 60)).to.equal(400)
    }
    expect(calls).to.equal(2)
  })

  it('should answer 404 NO_AI_ROLE on a node without the ai role', async () => {
    const res = await post(await serve(undefined), { source: 'hf:o/r/m.gguf' })
    expect(res.status).to.equal(404)
    expect(res.body.code).to.equal('NO_AI_ROLE')
  })
})
