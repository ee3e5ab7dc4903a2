/** Live migration of entities between nodes (ARCHITECTURE: Migration). */
export { Migrator, spawnMigrationActor } from './migrator.ts'
export type { MigrationStats, MigratorOptions, OwnerView } from './migrator.ts'
export { MIGRATION_PATH, MOVE_OUTCOMES, MOVE_TRIGGERS, checkMigrationMsg, checkMoveResult } from './migration-protocol.ts'
export type { MigrationMsg, MoveOutcome, MoveResult, MoveTrigger } from './migration-protocol.ts'
export { MoveRefusedError } from './errors.ts'
