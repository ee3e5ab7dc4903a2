import { EventEmitter } from 'node:events'
import { ClientLimits } from '../../node/limits/index.ts'
import type { ClientEndpoint } from '../../node/limits/index.ts'

/** Refill slow enough that nothing refills within a test: nothing depends on its speed. */
export const NEVER = 0.001

/** ClientLimits that say when a stream's slot is freed (`freed`, with the address; the first
 * release only), so that a test waits for that event rather than for time to pass. */
export class WatchedLimits extends ClientLimits {
  readonly freed = new EventEmitter()

  override openStream (endpoint: ClientEndpoint, address: string): () => void {
    const release = super.openStream(endpoint, address)
    let done = false
    return () => {
      release()
      if (!done) this.freed.emit('freed', address)
      done = true
    }
  }
}
