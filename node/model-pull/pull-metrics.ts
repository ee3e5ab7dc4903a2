import { Counter } from 'prom-client'
import type { Registry } from 'prom-client'

/** What pulls and copies report, for `plexi_model_pull_*`. */
export interface PullMetrics {
  /** Bytes downloaded by this node's pulls. */
  downloaded (bytes: number): void
  /** Bytes of models this node sent to other members, or received from them. */
  copied (direction: 'sent' | 'received', bytes: number): void
  /** A pull that ended. */
  pulled (outcome: 'done' | 'failed' | 'cancelled'): void
}

/** The pulls' Prometheus metrics on `registry`. */
export function pullMetrics (registry: Registry): PullMetrics {
  const bytes = new Counter({ name: 'plexi_model_pull_bytes_total', help: 'Bytes of models moved: downloaded by this node\'s pulls, or sent to and received from other members by copies over the mesh', labelNames: ['way'], registers: [registry] })
  const pulls = new Counter({ name: 'plexi_model_pulls_total', help: 'Model pulls this node ran, by how they ended', labelNames: ['outcome'], registers: [registry] })
  for (const way of ['downloaded', 'sent', 'received']) bytes.inc({ way }, 0)
  for (const outcome of ['done', 'failed', 'cancelled']) pulls.inc({ outcome }, 0)
  return {
    downloaded: (n) => { bytes.inc({ way: 'downloaded' }, n) },
    copied: (direction, n) => { bytes.inc({ way: direction }, n) },
    pulled: (outcome) => { pulls.inc({ outcome }) }
  }
}
