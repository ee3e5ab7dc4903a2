import { adminSchemas } from '../../protocols/index.ts'
import type { Job } from '../../protocols/index.ts'
import { MAX_JOBS_LISTED } from './constants.ts'

const { JOB_ID_PATTERN, JOB_KINDS, JOB_STATES, MAX_JOB_ERROR, MAX_JOB_ITEM, MAX_JOB_LEFT, MAX_JOB_MESSAGE, MAX_JOB_TARGET, MAX_JOB_WHY } = adminSchemas

/** ISO 8601 as Date#toISOString writes it. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/
/** Peer ids are far shorter (protocols/limits MAX_NODE_ID_LENGTH). */
const MAX_PEER_ID = 128

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0
const isText = (x: unknown, max: number): x is string => typeof x === 'string' && x.length <= max

/**
 * A job as another member sent it, checked before it is shown or trusted: every field of the wire
 * shape with its type and bounds, nothing else needed. Throws (naming what is wrong) otherwise.
 * `from`: the member asked; its jobs must be its own.
 */
export function checkJob (value: unknown, from?: string): Job {
  const j = value as Record<string, unknown> | null
  const fail = (what: string): never => { throw new Error(`its answer is not a job: ${what}`) }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) return fail('expected an object')
  if (typeof j.id !== 'string' || !JOB_ID_PATTERN.test(j.id)) fail('id')
  if (!(JOB_KINDS as readonly unknown[]).includes(j.kind) || !(j.id as string).startsWith(`${j.kind as string}-`)) fail('kind')
  if (!isText(j.node, MAX_PEER_ID) || j.node.length === 0 || (from !== undefined && j.node !== from)) fail('node')
  if (j.target !== null && (!isText(j.target, MAX_JOB_TARGET) || j.target.length === 0)) fail('target')
  if (!(JOB_STATES as readonly unknown[]).includes(j.state)) fail('state')
  if (!isCount(j.total) || !isCount(j.done) || !isCount(j.failed)) fail('total, done and failed')
  if (!Array.isArray(j.left) || j.left.length > MAX_JOB_LEFT ||
    !j.left.every((l: unknown) => l !== null && typeof l === 'object' && isText((l as { item?: unknown }).item, MAX_JOB_ITEM) && isText((l as { why?: unknown }).why, MAX_JOB_WHY))) fail('left')
  if (!isText(j.message, MAX_JOB_MESSAGE)) fail('message')
  if (j.error !== null && !isText(j.error, MAX_JOB_ERROR)) fail('error')
  if (typeof j.startedAt !== 'string' || !ISO_TIME.test(j.startedAt)) fail('startedAt')
  if (j.endedAt !== null && (typeof j.endedAt !== 'string' || !ISO_TIME.test(j.endedAt))) fail('endedAt')
  if ((j.state === 'running') !== (j.endedAt === null)) fail('endedAt (set exactly when the job ended)')
  // only the wire fields: whatever else a member sent is not passed on
  return {
    id: j.id as string,
    kind: j.kind as Job['kind'],
    node: j.node as string,
    target: j.target as string | null,
    state: j.state as Job['state'],
    total: j.total as number,
    done: j.done as number,
    failed: j.failed as number,
    left: (j.left as Array<{ item: string, why: string }>).map((l) => ({ item: l.item, why: l.why })),
    message: j.message as string,
    error: j.error as string | null,
    startedAt: j.startedAt as string,
    endedAt: j.endedAt as string | null
  }
}

/** A member's list of jobs, checked: each one a job of its own (see checkJob). */
export function checkJobList (value: unknown, from?: string): Job[] {
  if (!Array.isArray(value)) throw new Error('its answer is not a list of jobs')
  if (value.length > MAX_JOBS_LISTED) throw new Error(`its answer lists ${value.length} jobs, over the ${MAX_JOBS_LISTED} a member may`)
  return value.map((j) => checkJob(j, from))
}
