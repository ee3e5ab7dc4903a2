/**
 * Every shared schema of the admin HTTP API (`/api/v1`), each named by its `$id`: the endpoint adds
 * them all, so that a route refers to one with `ref('Member')` and OpenAPI lists them once. Each is
 * declared beside its resource (nodes-schemas.ts, jobs-schemas.ts, ...).
 */
import { actorSchema, entitySchema } from './actors-schemas.ts'
import { auditRecordSchema } from './audit-schemas.ts'
import { backupSchema } from './backups-schemas.ts'
import { errorSchema } from './error-schema.ts'
import { jobSchema } from './jobs-schemas.ts'
import { logEntrySchema } from './logs-schemas.ts'
import { mcpServerNodeSchema, mcpServerSchema } from './mcp-servers-schemas.ts'
import { statsSampleSchema } from './metrics-schemas.ts'
import { inferenceBackendSchema, modelSchema } from './models-schemas.ts'
import { memberSchema } from './nodes-schemas.ts'
import { partitionSchema, repairJobSchema } from './partitions-schemas.ts'
import { pluginInstallSchema, pluginLogsSchema, pluginNodeSchema, pluginSchema } from './plugins-schemas.ts'
import { restoreSchema } from './restores-schemas.ts'
import { roomSchema } from './rooms-schemas.ts'
import { searchHitSchema, searchResultSchema } from './search-schemas.ts'
import { scrubRowSchema, storageNodeSchema } from './storage-schemas.ts'
import { importReportSchema } from './transfer-schemas.ts'
import { newUserSchema, userSchema } from './users-schemas.ts'

export const ADMIN_SCHEMAS = [errorSchema, memberSchema, actorSchema, entitySchema, userSchema, newUserSchema, roomSchema, modelSchema, inferenceBackendSchema, partitionSchema, repairJobSchema, scrubRowSchema, storageNodeSchema, jobSchema, backupSchema, restoreSchema, statsSampleSchema, logEntrySchema, auditRecordSchema, pluginNodeSchema, pluginSchema, pluginInstallSchema, pluginLogsSchema, mcpServerNodeSchema, mcpServerSchema, importReportSchema, searchHitSchema, searchResultSchema] as const
