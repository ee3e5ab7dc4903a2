/**
 * Retries what a client would retry: a failure of kind unavailable (a view still settling, an
 * owner moving), every 100 ms, at most `tries` times; anything else fails at once.
 */
export async function retryUnavailable<T> (what: () => Promise<T>, tries = 50): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await what()
    } catch (err) {
      if ((err as { kind?: string }).kind !== 'unavailable' || attempt >= tries) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
