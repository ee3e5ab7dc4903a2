import type * as grpc from '@grpc/grpc-js'
import { PermissionDeniedError } from '../../actors/index.ts'
import { NotServingError, UnauthenticatedError, clip } from '../../protocols/index.ts'

/** What authenticating a call reads. */
export interface CallAuthDeps {
  readonly accepting: () => boolean
  readonly users: { authenticate (token: string): Promise<string | undefined> }
  readonly limitUser?: (user: string) => void
}

/** Authenticates a call by its `authorization: Bearer <token>` metadata: the user's name, or
 * NotServingError (the node is starting or shutting down) or UnauthenticatedError. `limitUser`
 * then counts the call against its user's request rate (ClientLimits.userRequest: RateLimitedError
 * when over it). */
export async function authenticateCall (call: { metadata: grpc.Metadata }, deps: CallAuthDeps): Promise<string> {
  if (!deps.accepting()) throw new NotServingError('node is not serving (starting or shutting down)')
  const header = call.metadata.get('authorization')[0]
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
    throw new UnauthenticatedError('missing token: send metadata "authorization: Bearer <token>"')
  }
  const user = await deps.users.authenticate(header.slice('Bearer '.length).trim())
  if (user === undefined) throw new UnauthenticatedError('invalid or revoked token')
  deps.limitUser?.(user)
  return user
}

/** The caller of an agent call, having checked that `requested` (the request's user; empty: the
 * caller) is the caller: an agent is its own user's only (PermissionDeniedError otherwise). */
export async function agentCaller (call: { metadata: grpc.Metadata }, deps: CallAuthDeps, requested: unknown): Promise<string> {
  const user = await authenticateCall(call, deps)
  if (requested !== undefined && requested !== '' && requested !== user) {
    throw new PermissionDeniedError(`${user} may not talk to ${clip(String(requested), 40)}'s agent; only its own user may`)
  }
  return user
}
