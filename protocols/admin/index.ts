/**
 * JSON schemas of the admin HTTP API (`/api/v1`), one file per resource (its routes are in
 * node/admin/routes, its commands in cli/commands/admin, under the same name). Shapes under
 * "External interface" in the architecture are a contract: fields may be added, never renamed or
 * removed.
 */
export * from './actors-schemas.ts'
export * from './admin-schemas.ts'
export * from './audit-schemas.ts'
export * from './backups-schemas.ts'
export * from './cluster-schemas.ts'
export * from './error-schema.ts'
export * from './jobs-schemas.ts'
export * from './logs-schemas.ts'
export * from './mcp-servers-schemas.ts'
export * from './metrics-schemas.ts'
export * from './models-schemas.ts'
export * from './nodes-schemas.ts'
export * from './partitions-schemas.ts'
export * from './plugins-schemas.ts'
export * from './restores-schemas.ts'
export * from './rooms-schemas.ts'
export * from './search-schemas.ts'
export * from './schema-refs.ts'
export * from './storage-schemas.ts'
export * from './tokens-schemas.ts'
export * from './transfer-schemas.ts'
export * from './user-tools-schemas.ts'
export * from './users-schemas.ts'
export * from './erasure-schemas.ts'
