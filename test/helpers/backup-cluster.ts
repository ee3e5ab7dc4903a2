import { expect } from 'chai'
import { BACKUPS, BACKUP_CATALOG_KEY, backupCatalog } from '../../actors/index.ts'
import { BackupKey, BackupService, chunkSpan, decodeBlock, holderAt, openChunk, spawnChunkHolder, spawnRestoreHold } from '../../node/backup/index.ts'
import type { BackupManifest, BackupServiceOptions, EntityBlock, ManifestPartition } from '../../node/backup/index.ts'
import { Jobs } from '../../node/jobs/index.ts'
import type { StoredRecord } from '../../node/index.ts'
import type { Job } from '../../protocols/index.ts'
import { useChunkStores } from './chunk-stores.ts'
import { useTestCluster } from './test-cluster.ts'
import type { TestNode } from './test-cluster.ts'
import { plain } from './stored-cuts.ts'

/** The key the backup specs make their backups with. */
export const backupKey = new BackupKey(Buffer.alloc(32, 9))
/** Small chunks: a few hundred KiB of chat make dozens of them. */
export const SMALL_CHUNKS = { minSize: 1_024, avgSize: 4_096, maxSize: 16_384 }

/** What the rooms hold, as written: entity → records. */
export type Written = Map<string, StoredRecord[]>

/** A cluster of three nodes, each a storage replica and a backup holder, with a backup service on
 * the first. */
export interface BackupCluster {
  readonly nodes: TestNode[]
  readonly service: BackupService
  readonly jobs: Jobs
  /** The backup holders up (a test takes one out by deleting it). */
  readonly holders: Set<string>
  readonly options: BackupServiceOptions
}

/**
 * Backup clusters for the tests of a describe (real libp2p on loopback, LevelDB, pack files in
 * temp dirs), each made by `cluster()` and stopped after its test. `key: undefined` makes a
 * service without a key.
 */
export function useBackupCluster (): { cluster: (opts?: { key?: BackupKey }) => Promise<BackupCluster>, readonly dirs: ReturnType<typeof useChunkStores>['dirs'] } {
  const net = useTestCluster()
  const { dirs, open } = useChunkStores()
  const cluster = async (opts: { key?: BackupKey } = {}): Promise<BackupCluster> => {
    const nodes = await net.of([['chat', 'backup'], ['chat', 'backup'], ['chat', 'backup']])
    const holders = new Set<string>()
    for (const n of nodes) {
      n.system.registerEntity(backupCatalog)
      spawnChunkHolder(n.system, await open())
      spawnRestoreHold(n.system, n.cluster.port, { warn: () => undefined })
      holders.add(n.id)
    }
    const a = nodes[0] as TestNode
    const jobs = new Jobs({ node: a.id })
    const options: BackupServiceOptions = {
      system: a.system,
      journal: a.journal,
      self: a.id,
      key: 'key' in opts ? opts.key : backupKey,
      holders: () => [...holders].map((peerId) => ({ peerId, roles: ['backup'], capacity: 1 })),
      copies: 2,
      jobs,
      chunker: SMALL_CHUNKS,
      ownerOf: (entity) => {
        const owner = a.cluster.placement.ownerOf(entity.slice(0, entity.indexOf('/')), 'chat', entity.slice(entity.indexOf('/') + 1))
        return typeof owner === 'string' ? owner : undefined
      }
    }
    return { nodes, service: new BackupService(options), jobs, holders, options }
  }
  return { cluster, dirs }
}

/** Appends `count` posts to `entity` on every node (each a replica: R = 3 of 3). */
export async function post (nodes: readonly TestNode[], written: Written, entity: string, count: number, epoch = 1): Promise<void> {
  const have = written.get(entity) ?? []
  const records = Array.from({ length: count }, (_, i) => ({
    seq: have.length + i + 1, epoch, event: { type: 'message-posted', user: 'ann', text: `${entity} #${have.length + i + 1} ${'chat '.repeat(30)}`, ts: 1_700_000_000_000 + i }
  }))
  for (const n of nodes) {
    const p = n.journal.storage.partitionOf(entity)
    if (have.length === 0) expect(await n.journal.core(p).handle({ op: 'fence', entity, epoch, activation: `a${epoch}` })).to.include({ ok: true })
    const reply = await n.journal.core(p).handle({ op: 'append', entity, epoch, activation: `a${epoch}`, prevSeq: have.length, prevEpoch: have.length === 0 ? 0 : epoch, records })
    expect(reply.result).to.equal('ok')
  }
  written.set(entity, [...have, ...records])
}

/** The job once it has ended (an error when it does not within a minute). */
export async function finished (jobs: Jobs, job: Job): Promise<Job> {
  const end = await jobs.settled(job.id, 60_000)
  if (end === undefined || end.state === 'running') throw new Error(`job ${job.id} did not end: ${JSON.stringify(end ?? jobs.get?.(job.id))}`)
  return end
}

/** Every entity of the backup, read back from its holders block by block (a one-room restore's
 * reads), or only `only`. */
export async function readBack (nodes: readonly TestNode[], manifest: BackupManifest, only?: string): Promise<Written> {
  const a = nodes[0] as TestNode
  const out: Written = new Map()
  for (const p of manifest.partitions) {
    for (const block of p.blocks) {
      if (only !== undefined && block.entity !== only) continue
      out.set(block.entity, plain((await readBlock(a, nodes, p, block)).records))
    }
  }
  return out
}

async function readBlock (a: TestNode, nodes: readonly TestNode[], p: ManifestPartition, block: EntityBlock): Promise<ReturnType<typeof decodeBlock>> {
  const { first, last, skip } = chunkSpan(p.chunks.map((c) => c.size), block)
  const bytes: Buffer[] = []
  for (const c of p.chunks.slice(first, last + 1)) {
    let sealed: Uint8Array | null = null
    for (const n of nodes) {
      sealed = await holderAt(a.system, n.id).get(c.id).catch(() => null)
      if (sealed !== null) break
    }
    if (sealed === null) throw new Error(`no holder has ${c.id}`)
    bytes.push(openChunk(backupKey, c.id, sealed))
  }
  return decodeBlock(Buffer.concat(bytes).subarray(skip, skip + block.length), block)
}

/** Asks the backup catalog on `node` directly (as another node, or a test setting a scene, would). */
export async function askCatalog<T> (node: TestNode, msg: object): Promise<T> {
  return await node.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
}
