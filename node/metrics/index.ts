/** The node's Prometheus metrics (prom-client, `plexi_` prefix). */
export { NodeMetrics } from './node-metrics.ts'
export { StatsSampler } from './stats-sampler.ts'
export type { MemberLoad, StatsSample, StatsSamplerOptions, StatsSources } from './stats-sampler.ts'
