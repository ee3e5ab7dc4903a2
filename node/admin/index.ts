/** The admin HTTP endpoint (built, not listening: the composition root listens). */
export { buildAdminServer } from './admin-server.ts'
export type { AdminServerDeps, ClusterAdmin, JobsAdmin, LogsView, Readiness, StatsView } from './admin-server.ts'
export { DashboardAssets } from './dashboard-assets.ts'
