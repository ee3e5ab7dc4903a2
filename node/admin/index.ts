/** The admin HTTP endpoint (built, not listening: the composition root listens). */
export { buildAdminServer } from './admin-server.ts'
export type { AdminServerDeps, AuditView, ClusterAdmin, JobsAdmin, LogsView, Readiness, StatsView } from './admin-server.ts'
export { AuditTrail } from './audit-trail.ts'
export type { AuditVerdict } from './audit-trail.ts'
export { DashboardAssets } from './dashboard-assets.ts'
