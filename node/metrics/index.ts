/** The node's Prometheus metrics (prom-client, `plexi_` prefix). */
export { NodeMetrics } from './node-metrics.ts'
