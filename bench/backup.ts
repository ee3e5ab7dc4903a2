/**
 * Encrypted backups (issue 16) against restic on the same data, in the same run.
 *
 * Ours: three nodes in this process (real libp2p on loopback, a LevelDB store each, 16 partitions,
 * every node a storage replica and a backup holder, 2 copies of every chunk), holding ROOMS rooms of
 * generated chat posts (about BENCH_BACKUP_MIB MiB of journal records, written straight into every
 * replica as an owner would). restic: Debian's `restic`, installed by the bench when missing
 * (skipped with a message when it cannot be), a local repository with `--compression off`, backing
 * up the same records exported as one file per room.
 *
 * Figures: backup MiB/s; an incremental backup after 1% of the rooms got new posts (bytes stored,
 * ours against restic's "Added to the repository"); verify of every byte (`backup verify --full`
 * against `restic check --read-data`); one room restored (p50 of ROOM_SAMPLES) after it got 1% more
 * posts (they go), the same with a snapshot past the backup as an owner takes them (the backup's
 * snapshot goes in its place), woken since (its head sealed anew by an activation) with 1% more, and
 * after it lost its journal (written whole); a full restore after
 * every room lost its journal. Each room holds a snapshot at its last hundredth event, as its owner
 * leaves it.
 * MiB/s on both sides are over the same bytes: the records as restic backs them up (msgpack [seq,
 * epoch, event] each, one file per room). Ours keeps each record as stored, seal included, so its
 * stream is larger.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { backupCatalog } from '../actors/index.ts'
import { BackupKey, BackupService, ChunkStore, spawnChunkHolder, spawnRestoreHold } from '../node/backup/index.ts'
import { Jobs } from '../node/jobs/index.ts'
import type { Job } from '../protocols/index.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { TestCluster } from '../test/helpers/test-cluster.ts'
import type { TestNode } from '../test/helpers/test-cluster.ts'
import { MIB, RECORD_BYTES, TEXT, appendRoomFile, dirBytes, ensureRestic, loseJournal, roomPosts, run, timed, wakeJournal } from './backup-common.ts'
import { envNumber, figure, median } from './figure.ts'
import type { Bench, Figure } from './figure.ts'

const ROOMS = 100
const ROOM_SAMPLES = 9
const JOB_MS = 30 * 60_000
const QUIET_WINDOW_MS = 2_000
const QUIET_MAX_MS = 300_000

export const backupBench: Bench = {
  name: 'backup-in-process',
  description: `encrypted backups on 3 nodes in this process vs restic (--compression off) on the same data: backup, incremental after 1%, verify every byte, full restore, one room restore (BENCH_BACKUP_MIB, default 100)`,
  async run (log) {
    const figures: Figure[] = []
    const add = (f: Figure): void => {
      figures.push(f)
      log(`  ${f.name}: ${f.value} ${f.unit} (baseline ${f.baseline}, ratio ${f.ratio})`)
    }
    const restic = await ensureRestic(log)
    const mib = envNumber('BENCH_BACKUP_MIB', 100)
    const dir = await tempDir('plexi-bench-backup-')
    const net = new TestCluster()
    await net.setup()
    const stores: ChunkStore[] = []
    try {
      const nodes = await net.of([['chat', 'backup'], ['chat', 'backup'], ['chat', 'backup']])
      for (const [i, n] of nodes.entries()) {
        n.system.registerEntity(backupCatalog)
        const store = await ChunkStore.open(join(dir.path, `chunks-${i}`))
        stores.push(store)
        spawnChunkHolder(n.system, store)
        spawnRestoreHold(n.system, n.cluster.port, { warn: () => undefined })
      }
      const a = nodes[0] as TestNode
      const jobs = new Jobs({ node: a.id })
      const service = new BackupService({
        system: a.system,
        journal: a.journal,
        self: a.id,
        key: new BackupKey(Buffer.alloc(32, 42)),
        holders: () => nodes.map((n) => ({ peerId: n.id, roles: ['backup'], capacity: 1 })),
        copies: 2,
        jobs,
        ownerOf: (entity) => {
          const owner = a.cluster.placement.ownerOf('room', 'chat', entity.slice(entity.indexOf('/') + 1))
          return typeof owner === 'string' ? owner : undefined
        }
      })
      // the data: ROOMS rooms, on every replica, and the same records as files for restic
      const files = join(dir.path, 'files')
      await mkdir(files)
      const perRoom = Math.ceil(mib * MIB / ROOMS / RECORD_BYTES)
      const started = performance.now()
      const heads = new Map<string, number>()
      for (let r = 0; r < ROOMS; r++) await writeRoom(nodes, files, `room/b${r}`, 0, perRoom, heads)
      log(`  ${ROOMS} rooms of ${perRoom} posts written to 3 replicas and as files in ${((performance.now() - started) / 1000).toFixed(1)} s`)
      // LevelDB merges what was written in its own threads long after: measured while it does, every
      // figure would take what is left of the cores (both sides' figures are taken at rest)
      log(`  quiet ${(await quiet() / 1000).toFixed(1)} s after the writes (LevelDB's compactions done)`)

      // full backup
      const atRest = await resetPeak()
      const ours = await timed(async () => await settle(jobs, service.create()))
      const backupPeak = await resetPeak()
      const [first] = await service.list()
      const bytes = first?.stats?.bytes ?? 0
      log(`  ours: ${(bytes / MIB).toFixed(1)} MiB in ${first?.stats?.chunks} chunks (${first?.stats?.partitions} partitions) in ${(ours.ms / 1000).toFixed(2)} s`)
      const repo = join(dir.path, 'restic-repo')
      const env = { ...process.env, RESTIC_PASSWORD: 'bench-password', RESTIC_REPOSITORY: repo, RESTIC_CACHE_DIR: join(dir.path, 'restic-cache') }
      if (restic !== undefined) await run(restic, ['init', '--repository-version', '2'], { env })
      const theirs = restic === undefined ? undefined : await timed(async () => await run(restic, ['backup', '--compression', 'off', '--quiet', files], { env, maxBuffer: 64 * MIB }))
      // both sides' rates over the same bytes: the records as restic reads them (our stream is larger,
      // as it keeps each record as stored, seal included)
      const data = await dirBytes(files)
      log(`  the data: ${(data / MIB).toFixed(1)} MiB of records as files (ours stores ${(bytes / MIB).toFixed(1)} MiB of stream)`)
      log(`  RSS of this process (three nodes): ${atRest} MiB before the backup, peak ${backupPeak} MiB during it`)
      const rate = (ms: number): number => (data / MIB) / (ms / 1000)
      if (theirs !== undefined) add(figure('backup-mib-per-s-vs-restic', 'MiB/s', rate(ours.ms), 'restic backup --compression off, same data', rate(theirs.ms), '>= 0.5'))

      // incremental: 1% of the rooms get 5% more posts
      for (let r = 0; r < ROOMS / 100; r++) await writeRoom(nodes, files, `room/b${r}`, heads.get(`room/b${r}`) ?? 0, Math.ceil(perRoom / 20), heads)
      const again = await timed(async () => await settle(jobs, service.create()))
      const second = (await service.list()).at(-1)
      log(`  incremental, ours: ${((second?.stats?.newBytes ?? 0) / 1024).toFixed(0)} KiB new in ${second?.stats?.newChunks} chunks, ${again.ms.toFixed(0)} ms`)
      if (restic !== undefined) {
        const inc = await timed(async () => await run(restic, ['backup', '--compression', 'off', '--json', files], { env, maxBuffer: 64 * MIB }))
        const summary = inc.value.stdout.split('\n').filter((l) => l.includes('"summary"')).map((l) => JSON.parse(l) as { data_added?: number }).at(-1)
        add(figure('incremental-backup-kib-stored-after-1pct-vs-restic', 'KiB', (second?.stats?.newBytes ?? 0) / 1024, 'restic: data added after the same change', (summary?.data_added ?? 0) / 1024, 'proportional to the change (lower is better)'))
        add(figure('incremental-backup-ms-after-1pct-vs-restic', 'ms', again.ms, 'restic backup after the same change', inc.ms, 'lower is better'))
      }

      // verify every byte
      await quiet()
      const verify = await timed(async () => await settle(jobs, service.verify(second?.id ?? '', true)))
      if (restic !== undefined) {
        const check = await timed(async () => await run(restic, ['check', '--read-data'], { env, maxBuffer: 64 * MIB }))
        add(figure('verify-full-mib-per-s-vs-restic', 'MiB/s', rate(verify.ms), 'restic check --read-data', rate(check.ms), '>= 1.5'))
      }

      // one room that got 1% more posts since the backup (the restore takes them away), one room
      // that lost its whole journal, then everything after every room lost its journal
      const oneRoom: number[] = []
      for (let i = 0; i < ROOM_SAMPLES; i++) {
        const room = `room/b${50 + i}`
        await appendPosts(nodes, room, heads.get(room) ?? 0, Math.ceil(perRoom / 100), heads)
        oneRoom.push((await timed(async () => await settle(jobs, service.restore(second?.id ?? '', { room: `b${50 + i}` }, false)))).ms)
      }
      const snapshotRoom: number[] = []
      for (let i = 0; i < ROOM_SAMPLES; i++) {
        const room = `room/b${60 + i}`
        await appendPosts(nodes, room, heads.get(room) ?? 0, Math.ceil(perRoom / 100), heads, true)
        snapshotRoom.push((await timed(async () => await settle(jobs, service.restore(second?.id ?? '', { room: `b${60 + i}` }, false)))).ms)
      }
      const lostRoom: number[] = []
      for (let i = 0; i < ROOM_SAMPLES; i++) {
        await loseEverywhere(nodes, `room/b${70 + i}`)
        lostRoom.push((await timed(async () => await settle(jobs, service.restore(second?.id ?? '', { room: `b${70 + i}` }, false)))).ms)
      }
      // one woken since the backup: an activation sealed its head anew, then 1% more posts
      const wokenRoom: number[] = []
      for (let i = 0; i < ROOM_SAMPLES; i++) {
        const room = `room/b${80 + i}`
        for (const n of nodes) await wakeJournal(n.journal.core(n.journal.storage.partitionOf(room)), room, Math.ceil(perRoom / 100))
        wokenRoom.push((await timed(async () => await settle(jobs, service.restore(second?.id ?? '', { room: `b${80 + i}` }, false)))).ms)
      }
      log(`  one room restored: p50 ${median(oneRoom).toFixed(0)} ms after 1% more posts, ${median(snapshotRoom).toFixed(0)} ms after 1% more posts and a snapshot past the backup, ${median(wokenRoom).toFixed(0)} ms woken since (its head sealed anew) and 1% more, ${median(lostRoom).toFixed(0)} ms after it lost its journal`)
      for (let r = 0; r < ROOMS; r++) await loseEverywhere(nodes, `room/b${r}`)
      await quiet()
      const beforeRestore = await resetPeak()
      const restoreAll = await timed(async () => await settle(jobs, service.restore(second?.id ?? '', {}, false)))
      const restorePeak = await resetPeak()
      log(`  RSS of this process (three nodes): ${beforeRestore} MiB before the full restore, peak ${restorePeak} MiB during it`)
      if (restic !== undefined) {
        const theirRoom: number[] = []
        for (let i = 0; i < ROOM_SAMPLES; i++) {
          const target = join(dir.path, `restic-room-${i}`)
          theirRoom.push((await timed(async () => await run(restic, ['restore', 'latest', '--target', target, '--include', join(files, `room-b${50 + i}.bin`)], { env, maxBuffer: 64 * MIB }))).ms)
        }
        add(figure('one-room-restore-ms-p50', 'ms', median(oneRoom), 'restic restore --include one room\'s file', median(theirRoom), '<= 100 ms (lower is better)'))
        add(figure('one-room-restore-snapshot-past-ms-p50', 'ms', median(snapshotRoom), 'restic restore --include one room\'s file', median(theirRoom), '<= 100 ms (lower is better)'))
        add(figure('one-room-restore-woken-ms-p50', 'ms', median(wokenRoom), 'restic restore --include one room\'s file', median(theirRoom), '<= 100 ms (lower is better)'))
        add(figure('one-room-restore-after-loss-ms-p50', 'ms', median(lostRoom), 'restic restore --include one room\'s file', median(theirRoom), 'lower is better'))
        const full = await timed(async () => await run(restic, ['restore', 'latest', '--target', join(dir.path, 'restic-all')], { env, maxBuffer: 64 * MIB }))
        add(figure('full-restore-mib-per-s-vs-restic', 'MiB/s', rate(restoreAll.ms), 'restic restore to a directory', rate(full.ms), '>= 0.3 (three replicas written, restic one)'))
      } else {
        log(`  one room restore p50 ${median(oneRoom).toFixed(0)} ms; full restore ${(restoreAll.ms / 1000).toFixed(1)} s (${rate(restoreAll.ms).toFixed(1)} MiB/s)`)
      }
    } finally {
      await net.teardown()
      for (const s of stores) await s.close().catch(() => undefined)
      await dir.remove()
    }
    return figures
  }
}

/** Waits (at most QUIET_MAX_MS) until this process, all its threads, used under a tenth of a core
 * over QUIET_WINDOW_MS; the ms it waited. */
async function quiet (): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < QUIET_MAX_MS) {
    const before = process.cpuUsage()
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS))
    const used = process.cpuUsage(before)
    if ((used.user + used.system) / 1000 < QUIET_WINDOW_MS / 10) break
  }
  return performance.now() - started
}


/** This process's peak RSS since the last reset (MiB, VmHWM), and the peak reset to the RSS now
 * (Linux: clear_refs 5), so that the next reading is the peak of what comes between. */
async function resetPeak (): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '')
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  await writeFile('/proc/self/clear_refs', '5').catch(() => undefined)
  return Math.round(hwm / 1024)
}

/** `count` posts appended to `entity` after `from` on every replica, and the room's file for restic
 * rewritten with every record it holds (restic reads files; ours reads journals). */
async function writeRoom (nodes: readonly TestNode[], files: string, entity: string, from: number, count: number, heads: Map<string, number>): Promise<void> {
  const records = roomPosts(from, count)

  // a new room's snapshot as its owner leaves it (every 100 events: the last one, of the room's
  // real state then), which the backup keeps beside its records
  const at = Math.floor(count / 100) * 100
  const snapshot = from === 0 && at > 0 ? { seq: at, state: (nodes[0] as TestNode).system.foldState('room', entity.slice(entity.indexOf('/') + 1), records.slice(0, at)) } : undefined
  for (const n of nodes) {
    const core = n.journal.core(n.journal.storage.partitionOf(entity))
    if (from === 0) await core.handle({ op: 'fence', entity, epoch: 1, activation: 'bench' })
    for (let i = 0; i < records.length; i += 256) {
      const page = records.slice(i, i + 256)
      const reply = await core.handle({ op: 'append', entity, epoch: 1, activation: 'bench', prevSeq: from + i, prevEpoch: from + i === 0 ? 0 : 1, records: page })
      if (reply.result !== 'ok') throw new Error(`bench: append to ${entity} answered ${reply.result}`)
    }
    if (snapshot !== undefined) await core.handle({ op: 'save-snapshot', entity, epoch: 1, snapshot })
  }
  await appendRoomFile(files, entity, records, from === 0)
  heads.set(entity, from + count)
}

/** `count` posts appended to `entity` after `from` on every replica, as its owner would (restic's
 * files are left: they stand for what the backup holds). */
async function appendPosts (nodes: readonly TestNode[], entity: string, from: number, count: number, heads: Map<string, number>, snapshot = false): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({
    seq: from + i + 1, epoch: 1, event: { type: 'message-posted', user: 'u1', text: `after the backup ${from + i} ${TEXT}`, ts: 1_790_000_000_000 + from + i }
  }))
  for (const n of nodes) {
    const core = n.journal.core(n.journal.storage.partitionOf(entity))
    for (let i = 0; i < records.length; i += 256) {
      const reply = await core.handle({ op: 'append', entity, epoch: 1, activation: 'bench', prevSeq: from + i, prevEpoch: 1, records: records.slice(i, i + 256) })
      if (reply.result !== 'ok') throw new Error(`bench: append to ${entity} answered ${reply.result}`)
    }
    // an owner snapshots every 100 events: one past the backup's head (the restore puts the
    // backup's snapshot in its place)
    if (snapshot) await core.handle({ op: 'save-snapshot', entity, epoch: 1, snapshot: { seq: from + count, state: { bench: 'a snapshot past the backup' } } })
  }
  heads.set(entity, from + count)
}

/** `entity`'s journal lost on every replica (loseJournal). */
async function loseEverywhere (nodes: readonly TestNode[], entity: string): Promise<void> {
  for (const n of nodes) await loseJournal(n.journal.core(n.journal.storage.partitionOf(entity)), entity)
}

async function settle (jobs: Jobs, job: Job): Promise<Job> {
  const end = await jobs.settled(job.id, JOB_MS)
  if (end?.state !== 'done') throw new Error(`bench: ${job.kind} job ended ${end?.state ?? 'not at all'}: ${end?.error ?? ''}`)
  return end
}

