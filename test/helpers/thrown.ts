/** The error `fn` throws; a test fails when it returns instead. */
export function thrown (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw, it returned')
}
