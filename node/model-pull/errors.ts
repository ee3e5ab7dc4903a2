import type { ErrorKind } from '../../protocols/index.ts'

/** A pull or a copy that cannot go on, said for the operator; `kind` is how an endpoint answers it
 * (invalid 400, not-found 404, conflict 409, unavailable 503). */
export class ModelPullError extends Error {
  override readonly name = 'ModelPullError'
  readonly kind: ErrorKind
  constructor (message: string, kind: ErrorKind = 'unavailable') {
    super(message)
    this.kind = kind
  }
}
