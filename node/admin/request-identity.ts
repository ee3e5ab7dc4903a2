import type { FastifyInstance, FastifyRequest } from 'fastify'

/** Who sent an admin request: the main admin token, or a named token with its scope. */
export interface Principal {
  /** `admin` (the main token) or `token:NAME` */
  readonly actor: string
  readonly scope: 'read' | 'admin'
}

/*
 * What the /api/v1 scope knows of each request, declared once there (decorateRequest) and read by
 * its hooks and routes through these functions: the request's principal (bearer-auth.ts), whether
 * it was refused before its token was checked, and what a route says of it for its audit record
 * (audit-hook.ts): a note, and what to record in place of a body that holds secrets. A route outside that scope that reads one fails loudly (FST_ERR_DEC_UNDECLARED).
 */
const PRINCIPAL = 'adminPrincipal'
const REFUSED_UNCHECKED = 'adminRefusedUnchecked'
const AUDIT_NOTE = 'adminAuditNote'
const AUDIT_BODY = 'adminAuditBody'

/** Declares the decorations on the /api/v1 scope (each request starts with none set). */
export function decorateRequestIdentity (api: FastifyInstance): void {
  api.decorateRequest(PRINCIPAL, null)
  api.decorateRequest(REFUSED_UNCHECKED, false)
  api.decorateRequest(AUDIT_NOTE, null)
  api.decorateRequest(AUDIT_BODY, null)
}

/** Who sent the request, once its token was checked and matched (undefined: not so). */
export function principalOf (request: FastifyRequest): Principal | undefined {
  return request.getDecorator<Principal | null>(PRINCIPAL) ?? undefined
}

export function setPrincipal (request: FastifyRequest, principal: Principal): void {
  request.setDecorator(PRINCIPAL, principal)
}

/** Refused before its token was checked: its address failed to authenticate too often. */
export function refusedUnchecked (request: FastifyRequest): boolean {
  return request.getDecorator<boolean>(REFUSED_UNCHECKED)
}

export function markRefusedUnchecked (request: FastifyRequest): void {
  request.setDecorator(REFUSED_UNCHECKED, true)
}

/** What a route says of a request for its audit record (a check it was forced past). */
export function auditNoteOf (request: FastifyRequest): string | undefined {
  return request.getDecorator<string | null>(AUDIT_NOTE) ?? undefined
}

export function noteForAudit (request: FastifyRequest, note: string): void {
  request.setDecorator(AUDIT_NOTE, note)
}

/** What the audit trail records in place of the request's body, when a route said (undefined:
 * the body itself, as auditDetail keeps it). */
export function auditBodyOf (request: FastifyRequest): { readonly body: unknown } | undefined {
  return request.getDecorator<{ body: unknown } | null>(AUDIT_BODY) ?? undefined
}

/** Records `body` in the audit trail in place of the request's own (a body whose secrets
 * auditDetail cannot tell by their field names: a server's environment). Set before the body is
 * validated, it holds for a request refused too. */
export function recordBodyAs (request: FastifyRequest, body: unknown): void {
  request.setDecorator(AUDIT_BODY, { body })
}
