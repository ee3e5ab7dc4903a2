import { NODE_ID } from './admin-fixture.ts'
import type { AdminFixture } from './admin-fixture.ts'
import { backupCatalog } from '../../actors/index.ts'
import { BackupKey, BackupService, ChunkStore, spawnChunkHolder, spawnRestoreHold } from '../../node/backup/index.ts'
import { tempDir } from './temp-dir.ts'

/** Small chunks: the little a test writes still makes a few of them. */
const CHUNKER = { minSize: 1_024, avgSize: 4_096, maxSize: 16_384 }

/**
 * Backups of the fixture's lone node as startNode wires them for a node of every role: the backup
 * catalog, a chunk store in a temp dir held by the node itself, its restore hold, and a backup key.
 * `close()` after the fixture's teardown.
 */
export async function loneBackups (f: AdminFixture): Promise<{ service: BackupService, close: () => Promise<void> }> {
  f.system.registerEntity(backupCatalog)
  const dir = await tempDir()
  const store = await ChunkStore.open(dir.path)
  spawnChunkHolder(f.system, store)
  spawnRestoreHold(f.system, f.port, { warn: () => undefined })
  const service = new BackupService({
    system: f.system,
    journal: f.journal,
    self: NODE_ID,
    key: new BackupKey(Buffer.alloc(32, 7)),
    holders: () => [{ peerId: NODE_ID, roles: ['backup'], capacity: 1 }],
    copies: 1,
    jobs: f.jobs,
    chunker: CHUNKER
  })
  return {
    service,
    close: async () => {
      await store.close()
      await dir.remove()
    }
  }
}
