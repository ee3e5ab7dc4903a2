import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { modelsRoutes } from '../../../../node/admin/routes/models-routes.ts'
import type { Member } from '../../../../protocols/index.ts'
import { ModelManager, ModelRegistry, OpenAiRuntime, writeTinyModel } from '../../../../runtimes/index.ts'
import type { RemoteModel } from '../../../../runtimes/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { waitFor } from '../../../helpers/wait-for.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

/** A member as its record says, holding `models` loaded. */
const member = (peerId: string, status: Member['status'], models: string[]): Member => ({
  peerId, roles: ['ai'], status, addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, capacity: 1, startedAt: 0, version: 'test', models
})

describe('modelsRoutes', function () {
  this.timeout(20_000)
  let dir: { path: string, remove: () => Promise<void> }
  let registry: ModelRegistry
  const apps: FastifyInstance[] = []
  const self = (): Member => member('12D3KooWSelf', 'up', [])
  beforeEach(async () => {
    dir = await tempDir()
    registry = new ModelRegistry(dir.path)
    await writeTinyModel(join(dir.path, 'plexi-tiny-f16.gguf'))
    await writeFile(join(dir.path, 'broken.gguf'), 'not a gguf file at all')
  })
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close()
    await dir.remove()
  })
  const serve = async (deps: Parameters<typeof modelsRoutes>[0]): Promise<FastifyInstance> => {
    const app = await pluginApp(modelsRoutes(deps))
    apps.push(app)
    return app
  }

  it('should list the models dir validated, each with where it is loaded: here, and on the members up whose records say so', async () => {
    const others = [member('12D3KooWb', 'up', ['plexi-tiny-f16']), member('12D3KooWa', 'up', ['plexi-tiny-f16']), member('12D3KooWc', 'down', ['plexi-tiny-f16'])]
    const app = await serve({ self, others: () => others, models: registry })
    const res = await app.inject({ method: 'GET', url: '/api/v1/models' })
    expect(res.statusCode).to.equal(200)
    const [broken, tiny] = res.json() as Array<Record<string, unknown>>
    expect(broken).to.deep.include({ name: 'broken', status: 'invalid', runtime: 'llama.cpp', loaded: [] })
    expect(broken?.error).to.be.a('string').and.not.equal('')
    expect(tiny).to.deep.include({ name: 'plexi-tiny-f16', status: 'ready', runtime: 'llama.cpp', quantization: 'F16', loaded: ['12D3KooWa', '12D3KooWb'] })
    expect(tiny).to.include.keys('architecture', 'parameters', 'contextLength', 'sizeBytes')
    expect(tiny).to.not.include.keys('memoryBytes', 'backend')
  })

  it('should list a model file an operator drops into the watched dir at a read after the watch sees it, the listing kept until then', async () => {
    const unwatch = await registry.watch()
    try {
      const app = await serve({ self, models: registry })
      const names = async (): Promise<string[]> => ((await app.inject({ method: 'GET', url: '/api/v1/models' })).json() as Array<{ name: string }>).map((m) => m.name)
      expect(await names()).to.deep.equal(['broken', 'plexi-tiny-f16'])
      await writeFile(join(dir.path, 'by-hand.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' }))
      await waitFor(async () => (await names()).includes('by-hand'), 'by-hand listed by GET /api/v1/models', { timeout: 10_000, interval: 20 })
      expect(await names()).to.deep.equal(['broken', 'by-hand', 'plexi-tiny-f16'])
    } finally {
      unwatch()
    }
  })

  it('should list none, and refuse a load, on a node without the ai role', async () => {
    const app = await serve({ self })
    expect((await app.inject({ method: 'GET', url: '/api/v1/models' })).json()).to.deep.equal([])
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/plexi-tiny-f16/load' })).json())
      .to.deep.include({ statusCode: 404, code: 'NO_AI_ROLE', message: 'this node does not run models (it has no ai role)' })
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/plexi-tiny-f16/unload' })).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_MODEL' })
  })

  it('should say where this node runs llama.cpp, found at its start, and 404 on a node without the ai role', async () => {
    const backend = { gpu: 'auto' as const, backend: 'cpu' as const, devices: [], reason: 'no CUDA driver found (libcuda.so.1 is on no library path)' }
    const app = await serve({ self, models: registry, backend })
    const res = await app.inject({ method: 'GET', url: '/api/v1/inference' })
    expect(res.statusCode).to.equal(200)
    expect(res.json()).to.deep.equal(backend)
    const gpu = await serve({ self, models: registry, backend: { gpu: 'cuda', backend: 'cuda', devices: ['NVIDIA H100 80GB HBM3'] } })
    expect((await gpu.inject({ method: 'GET', url: '/api/v1/inference' })).json()).to.deep.equal({ gpu: 'cuda', backend: 'cuda', devices: ['NVIDIA H100 80GB HBM3'] })
    const none = await serve({ self })
    expect((await none.inject({ method: 'GET', url: '/api/v1/inference' })).json()).to.deep.include({ statusCode: 404, code: 'NO_AI_ROLE' })
  })

  it('should say which model is unknown or not loaded, and refuse a name that is none', async () => {
    const manager = new ModelManager({ registry, createRuntime: (entry) => new OpenAiRuntime({ name: entry.name, ...entry.remote as RemoteModel }), memoryBudgetBytes: 1 << 30, maxQueue: 4 })
    const app = await serve({ self, models: registry, manager })
    await app.inject({ method: 'GET', url: '/api/v1/models' })
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/nothing/load' })).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_MODEL' })
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/nothing/unload' })).json())
      .to.deep.include({ statusCode: 404, code: 'UNKNOWN_MODEL', message: 'no model named nothing; see GET /api/v1/models' })
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/plexi-tiny-f16/unload' })).json())
      .to.deep.include({ statusCode: 404, code: 'NOT_LOADED', message: 'model plexi-tiny-f16 is not loaded on this node' })
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/..%2Fetc/load' })).json()).to.deep.include({ statusCode: 400, code: 'FST_ERR_VALIDATION' })
  })
})
