import type { FastifyInstance } from 'fastify'
import type { OpenAiBackend } from './openai-backend.ts'
import { openAiError, sendError } from './openai-error.ts'
import { errorResponses, modelListResponse, modelResponse } from './openai-schemas.ts'
import type { UserOf } from './request-auth.ts'

/** `GET /v1/models` and `GET /v1/models/*`: the models the request's user may use. */
export function modelRoutes (deps: { readonly backend: OpenAiBackend, readonly userOf: UserOf }) {
  const { backend, userOf } = deps
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/models', {
      schema: { summary: 'The models this user may use', response: { 200: modelListResponse, ...errorResponses(401) } }
    }, async (request) => {
      const models = await backend.models(userOf(request))
      return { object: 'list', data: models.map(modelObject) }
    })

    app.get<{ Params: { '*': string } }>('/v1/models/*', {
      // a wildcard, not :id: upstream model ids may hold a slash (`org/model`)
      schema: { summary: 'One model', response: { 200: modelResponse, ...errorResponses(401, 404) } }
    }, async (request, reply) => {
      const id = request.params['*']
      const model = (await backend.models(userOf(request))).find((m) => m.id === id)
      if (model === undefined) {
        return sendError(reply, { status: 404, body: openAiError('invalid_request_error', `the model ${JSON.stringify(id)} does not exist or you do not have access to it`, 'model', 'model_not_found') })
      }
      return modelObject(model)
    })
  }
}

/** A model as OpenAI lists it. */
function modelObject (m: { id: string, created: number }): Record<string, unknown> {
  return { id: m.id, object: 'model', created: m.created, owned_by: 'plexi' }
}
