/** The error `fn` throws; a test fails when it returns instead. */
export function thrown (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw, it returned')
}

/** The error `fn` rejects with; a test fails when it resolves instead. */
export async function rejection (fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}
