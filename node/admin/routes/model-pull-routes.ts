import type { FastifyInstance } from 'fastify'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { httpError } from '../admin-errors.ts'

/** What the admin API asks of model pulls (node/model-pull ModelPulls). */
export interface ModelPullAdmin {
  start (request: { source: string, name?: string, sha256?: string, replace?: boolean }): Job
}

export interface ModelPullRoutesDeps {
  /** Absent: the node has no ai role, and the route answers 404. */
  readonly pulls?: ModelPullAdmin | undefined
}

/** `POST /api/v1/models/pull`: a job that downloads a model and copies it to the other ai members. */
export function modelPullRoutes (deps: ModelPullRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    api.post<{ Body: { source: string, name?: string, sha256?: string, replace?: boolean } }>('/models/pull', {
      schema: {
        summary: 'Pull a model: download a GGUF (a URL, or hf:OWNER/REPO/FILE.gguf[#REVISION] from the model hub) with progress, resuming where a pull of it broke off, check its SHA-256 (the one given, and the one the server publishes) and validate it, then copy it to every other ai member over the mesh. A job (its done and total count MiB); a model that is here already is only copied, unless replace',
        security: BEARER,
        body: {
          type: 'object',
          required: ['source'],
          additionalProperties: false,
          properties: {
            source: { type: 'string', minLength: 1, maxLength: 2048, description: 'https://…/FILE.gguf, or hf:OWNER/REPO/FILE.gguf with an optional #REVISION' },
            name: { type: 'string', minLength: 1, maxLength: 128, description: 'the model\'s name (default: the file\'s name without .gguf)' },
            sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'the SHA-256 the file must have' },
            replace: { type: 'boolean', description: 'download again and replace a model of that name here and on the members copied to (default false)' }
          }
        },
        response: { 202: ref('Job'), ...errors(400, 401, 404, 409) }
      }
    }, async (request, reply) => {
      if (deps.pulls === undefined) throw httpError(404, 'NO_AI_ROLE', 'this node does not run models (it has no ai role): pull on an ai member')
      return reply.code(202).send(deps.pulls.start(request.body))
    })
  }
}
