import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import type { Member } from '../../protocols/index.ts'
import { auditDetail } from './audit-trail.ts'
import { auditBodyOf, auditNoteOf, principalOf, refusedUnchecked } from './request-identity.ts'
import type { AuditView } from './routes/audit-routes.ts'

/**
 * The /api/v1 scope's onSend hook: every admin action, and every failed authentication, goes into
 * the audit trail before the answer does (reads are not actions: they are not recorded). Who acted
 * is the request's principal (bearer-auth.ts); what a route adds (a check it was forced past) is
 * its audit note, and a route whose body holds secrets names what to record instead
 * (request-identity.ts).
 */
export function auditHook (audit: Pick<AuditView, 'record' | 'failedAuthentication'>, self: () => Member): onSendHookHandler<unknown> {
  // a callback, and a read that is no failed authentication passed on at once: no promise for the
  // requests that record nothing
  return (request, reply, payload, done) => {
    // an attempt refused unchecked is recorded as a failed authentication is (at most 30 a
    // minute): a client guessing on fills the trail no faster than before
    const unchecked = refusedUnchecked(request)
    if (reply.statusCode !== 401 && !unchecked && (request.method === 'GET' || request.method === 'HEAD')) {
      done(null, payload)
      return
    }
    recorded(audit, self, request, reply, unchecked).then(() => { done(null, payload) }, (err: Error) => { done(err) })
  }
}

/** Records one admin action or failed authentication in the trail (or nothing when it did nothing). */
async function recorded (audit: Pick<AuditView, 'record' | 'failedAuthentication'>, self: () => Member, request: FastifyRequest, reply: FastifyReply, unchecked: boolean): Promise<void> {
  const status = reply.statusCode
  const unauthenticated = status === 401 || unchecked
  const principal = principalOf(request)
  // refused before it could authenticate (over its address's request rate): it did nothing
  if (!unauthenticated && principal === undefined) return
  const instead = auditBodyOf(request)
  const body = instead === undefined ? request.body : instead.body
  let detail = unauthenticated ? '' : [auditNoteOf(request), auditDetail(body)].filter((d) => d !== undefined && d !== '').join('; ')
  if (unauthenticated) {
    const { record, droppedBefore } = audit.failedAuthentication()
    if (!record) return
    detail = [
      ...(unchecked ? ['refused before its token was checked: too many failed authentications from this address'] : []),
      ...(droppedBefore > 0 ? [`${droppedBefore} failed authentications before this one were not recorded (at most 30 a minute are)`] : [])
    ].join('; ')
  }
  await audit.record({
    actor: principal?.actor ?? 'unauthenticated',
    node: self().peerId,
    ip: request.ip,
    action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0] ?? ''}`,
    target: request.url.split('?')[0] ?? '',
    outcome: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed',
    status,
    detail
  })
}
