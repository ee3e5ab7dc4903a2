/** A token this node's copy of the directory does not know, while the directory itself cannot
 * be asked: the token may belong to a user added elsewhere a moment ago, so the answer is
 * "retry", not UNAUTHENTICATED. */
export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError'
  readonly kind = 'unavailable'
}
