import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'
import { BEARER, JOB_ID_PATTERN, JOB_KINDS, JOB_STATES, errors, ref } from '../../../protocols/admin/index.ts'
import type { Job, JobKind, JobState } from '../../../protocols/index.ts'
import { httpError } from '../admin-errors.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { CoalescedReads, keptReads } from '../coalesced-reads.ts'

/** What the admin API asks of the cluster's jobs (node/jobs ClusterJobs). */
export interface JobsAdmin {
  list (filter: { kind?: JobKind | undefined, state?: JobState | undefined }): Promise<{ jobs: Job[], unreachable: string[] }>
  /** Throws a not-found error (UnknownJobError) when no member has it. */
  get (id: string): Promise<Job>
  cancel (id: string): Promise<Job>
}

export interface JobsRoutesDeps {
  /** Every member's jobs (absent: none are listed, and none is found). */
  readonly jobs?: JobsAdmin | undefined
  /** The writes answered through this node's admin API: each drops the kept listings (a job
   * started or cancelled here is in the next listing here). */
  readonly writes?: Pick<AdminWrites, 'watch'> | undefined
}

const jobParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64, pattern: JOB_ID_PATTERN.source } } } as const

/** `/api/v1/jobs`: the long operations of every member (drains, moves, repairs, backups...), one job, and its cancel. */
export function jobsRoutes (deps: JobsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of listings asks every member once per round trip, and a gather answers the
    // listings of the next ADMIN_LIST_FRESH_MS too, until a write through this node answers
    // (keptReads); one job (/jobs/:id) is this node's own (answered from memory) or asked of the
    // members, one ask per round trip for a burst of reads of it (each answer asked after its read
    // arrived: a job's progress is never older than the read)
    const listings = keptReads<Awaited<ReturnType<JobsAdmin['list']>>>(api, deps.writes)
    const items = new CoalescedReads<Job>()
    const noJob = (id: string): Error => httpError(404, 'UNKNOWN_JOB', `no job ${id} on any member`)

    api.get<{ Querystring: { kind?: JobKind, state?: JobState } }>('/jobs', {
      schema: {
        summary: 'Jobs (drains, decommissions, rebalances, migrations, repairs) of every member that is not down, the newest first, with their progress and what is left; filter by kind and state. Members that did not answer are named in unreachable',
        security: BEARER,
        querystring: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: JOB_KINDS }, state: { type: 'string', enum: JOB_STATES } } },
        response: {
          200: {
            type: 'object',
            required: ['jobs', 'unreachable'],
            properties: { jobs: { type: 'array', items: ref('Job') }, unreachable: { type: 'array', items: { type: 'string' }, description: 'peer ids of members that did not answer (their jobs are not listed)' } }
          },
          ...errors(400, 401)
        }
      },
      schemaErrorFormatter: jobsValidationError
    }, async (request) => {
      const jobs = deps.jobs
      if (jobs === undefined) return { jobs: [], unreachable: [] }
      const { kind, state } = request.query
      return await listings.read(`${kind ?? ''} ${state ?? ''}`, async () => await jobs.list({ kind, state }))
    })

    api.get<{ Params: { id: string } }>('/jobs/:id', {
      schema: { summary: 'One job, from whichever member runs it (its id ends with the end of that member\'s peer id)', security: BEARER, params: jobParams, response: { 200: ref('Job'), ...errors(400, 401, 404) } },
      schemaErrorFormatter: jobsValidationError
    }, async (request) => {
      const jobs = deps.jobs
      const { id } = request.params
      if (jobs === undefined) throw noJob(id)
      return await items.read(id, async () => await jobs.get(id))
    })

    api.post<{ Params: { id: string } }>('/jobs/:id/cancel', {
      schema: {
        summary: 'Cancel a running job on whichever member runs it; answers with the job once it stopped (cancelled), or after 2 s still running with a message saying it is cancelling. A finished job is answered unchanged',
        security: BEARER,
        params: jobParams,
        response: { 200: ref('Job'), ...errors(400, 401, 404) }
      },
      schemaErrorFormatter: jobsValidationError
    }, async (request) => {
      if (deps.jobs === undefined) throw noJob(request.params.id)
      return await deps.jobs.cancel(request.params.id)
    })
  }
}

/** The jobs routes' validation errors, saying what is expected: the kinds and states there are, and
 * what a job id looks like. */
export function jobsValidationError (errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0]
  let message = `${dataVar}${e?.instancePath ?? ''} ${e?.message ?? 'is not valid'}`
  if (e?.keyword === 'enum' && Array.isArray(e.params.allowedValues)) message = `${dataVar}${e.instancePath} must be one of ${e.params.allowedValues.join(', ')}`
  if (dataVar === 'params' && (e?.keyword === 'pattern' || e?.keyword === 'maxLength')) message = `${dataVar}${e.instancePath} must be a job id: KIND-N-XXXX, such as drain-3-k7f2`
  if (e?.keyword === 'additionalProperties') message = `${dataVar} must NOT have additional properties: the filters are kind and state`
  return new Error(message)
}
