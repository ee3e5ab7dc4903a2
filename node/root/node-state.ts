import type { Readiness } from '../admin/index.ts'

/**
 * Where the node stands: starting (not ready: /readyz 503, calls refused with UNAVAILABLE, no
 * entity placed here), ready, or draining (stopping). Read by the member record, the endpoints
 * and the parts that refuse work while not ready; set by readiness and the drain alone.
 */
export class NodeState {
  #now: Readiness = 'starting'

  get now (): Readiness { return this.#now }

  get ready (): boolean { return this.#now === 'ready' }

  /** starting → ready (once; a node draining never becomes ready again). Returns whether it did. */
  becomeReady (): boolean {
    if (this.#now !== 'starting') return false
    this.#now = 'ready'
    return true
  }

  /** Any → draining (a stop, or a decommission dropping the node's roles). */
  drain (): void {
    this.#now = 'draining'
  }
}
