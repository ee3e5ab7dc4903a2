import { MOVE_ASK_RETRIES, MOVE_RETRY_GAP_MS } from './constants.ts'

/**
 * `ask()`, asked again (at most MOVE_ASK_RETRIES times more, MOVE_RETRY_GAP_MS apart) while it
 * fails because the link to a member that is still `up()` broke before the answer came
 * (PeerUnreachableError): for asks that are safe to repeat. `again`: told before each new ask.
 */
export async function askAgainIfLinkBroke<T> (ask: () => Promise<T>, up: () => boolean, again?: (err: unknown) => void): Promise<T> {
  for (let retries = 0; ; retries++) {
    try {
      return await ask()
    } catch (err) {
      if (retries >= MOVE_ASK_RETRIES || (err as Error | undefined)?.name !== 'PeerUnreachableError' || !up()) throw err
      again?.(err)
      await new Promise((resolve) => setTimeout(resolve, MOVE_RETRY_GAP_MS))
      if (!up()) throw err
    }
  }
}
