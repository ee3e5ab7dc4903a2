import type * as grpc from '@grpc/grpc-js'
import { NotServingError, UnauthenticatedError } from '../../protocols/index.ts'

/** Authenticates a call by its `authorization: Bearer <token>` metadata: the user's name, or
 * NotServingError (the node is starting or shutting down) or UnauthenticatedError. `limitUser`
 * then counts the call against its user's request rate (ClientLimits.userRequest: RateLimitedError
 * when over it). */
export async function authenticateCall (call: { metadata: grpc.Metadata }, deps: {
  readonly accepting: () => boolean
  readonly users: { authenticate (token: string): Promise<string | undefined> }
  readonly limitUser?: (user: string) => void
}): Promise<string> {
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
