import type { FastifyInstance } from 'fastify'
import { BEARER, errors, modelNameParam, ref } from '../../../protocols/admin/index.ts'
import type { Member } from '../../../protocols/index.ts'
import type { InferenceBackend, LoadedModel, ModelEntry, ModelManager, ModelRegistry } from '../../../runtimes/index.ts'
import { httpError } from '../admin-errors.ts'

export interface ModelsRoutesDeps {
  readonly self: () => Member
  /** The other members this node knows of (absent: none): where else each model is loaded. */
  readonly others?: (() => Member[]) | undefined
  /** The node's models (absent: the route lists none). */
  readonly models?: Pick<ModelRegistry, 'scan' | 'listing' | 'get'> | undefined
  /** What is loaded, and load/unload (absent: nothing is, and the routes answer 404). */
  readonly manager?: Pick<ModelManager, 'loaded' | 'load' | 'unload'> | undefined
  /** The llama.cpp backend found at start (absent: no ai role; /inference answers 404). */
  readonly backend?: InferenceBackend | undefined
}

/** `/api/v1/models`: the models in the node's models dir, where each is loaded, and load/unload here. */
export function modelsRoutes (deps: ModelsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    const modelView = (m: ModelEntry, loaded: LoadedModel | undefined): Record<string, unknown> => ({
      name: m.name,
      sizeBytes: m.sizeBytes,
      runtime: m.runtime,
      status: m.status,
      ...(m.error !== undefined && { error: m.error }),
      ...(m.facts !== undefined && {
        architecture: m.facts.architecture, quantization: m.facts.quantization, parameters: m.facts.parameters, contextLength: m.facts.contextLength
      }),
      ...(m.remote !== undefined && { contextLength: m.remote.contextSize }),
      // this node, then the other members up whose records say they have it loaded
      loaded: [
        ...(loaded === undefined ? [] : [deps.self().peerId]),
        ...(deps.others?.() ?? []).filter((o) => o.status === 'up' && o.models?.includes(m.name) === true).map((o) => o.peerId).sort()
      ],
      ...(loaded !== undefined && {
        memoryBytes: loaded.memoryBytes, backend: loaded.backend, ...(loaded.batching !== undefined && { batching: loaded.batching }), active: loaded.active, queued: loaded.queued, lastUsedAt: loaded.lastUsedAt
      })
    })
    const loadedByName = (): Map<string, LoadedModel> => new Map((deps.manager?.loaded() ?? []).map((m) => [m.model, m]))

    api.get('/inference', {
      schema: {
        summary: 'Where this node runs llama.cpp: the backend found at start (cuda or vulkan with its devices, or cpu with why no GPU) and the gpu setting',
        security: BEARER,
        response: { 200: ref('InferenceBackend'), ...errors(401, 404) }
      }
    }, async () => {
      if (deps.backend === undefined) throw httpError(404, 'NO_AI_ROLE', 'this node does not run models (it has no ai role)')
      return deps.backend
    })

    api.get('/models', {
      schema: { summary: 'Models in the models dir, validated before any is loaded, and where each is loaded', security: BEARER, response: { 200: { type: 'array', items: ref('Model') }, ...errors(401) } }
    }, async () => {
      const models = deps.models === undefined ? [] : await deps.models.listing()
      const loaded = loadedByName()
      return models.map((m) => modelView(m, loaded.get(m.name)))
    })

    const modelRoute = { params: { type: 'object', required: ['name'], properties: { name: modelNameParam } } } as const
    api.post<{ Params: { name: string } }>('/models/:name/load', {
      schema: {
        summary: 'Load a model now (and keep it until unloaded or evicted for memory); least recently used idle models are unloaded if the memory budget needs it',
        security: BEARER,
        ...modelRoute,
        response: { 200: ref('Model'), ...errors(400, 401, 404, 409, 503) }
      }
    }, async (request) => {
      const { name } = request.params
      const manager = deps.manager
      if (manager === undefined || deps.models === undefined) throw httpError(404, 'NO_AI_ROLE', 'this node does not run models (it has no ai role)')
      await deps.models.scan()
      await manager.load(name)
      const entry = deps.models.get(name)
      if (entry === undefined) throw httpError(404, 'UNKNOWN_MODEL', `no model named ${name}`)
      return modelView(entry, loadedByName().get(name))
    })

    api.post<{ Params: { name: string } }>('/models/:name/unload', {
      schema: {
        summary: 'Unload a model: requests running on it fail with UNAVAILABLE, waiting ones too',
        security: BEARER,
        ...modelRoute,
        response: { 200: ref('Model'), ...errors(400, 401, 404) }
      }
    }, async (request) => {
      const { name } = request.params
      const entry = deps.models?.get(name)
      if (entry === undefined) throw httpError(404, 'UNKNOWN_MODEL', `no model named ${name}; see GET /api/v1/models`)
      if (deps.manager === undefined || !await deps.manager.unload(name)) throw httpError(404, 'NOT_LOADED', `model ${name} is not loaded on this node`)
      return modelView(entry, undefined)
    })
  }
}
