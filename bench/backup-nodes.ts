/**
 * Encrypted backups on three `plexi node start` processes against restic on the same data, in the
 * same run, at each size of BENCH_BACKUP_SIZES (MiB of journal records; default 500 and 5120):
 * each node is its own process, so each one's peak RSS is its own (the goal: at most 512 MiB) and
 * the three share the machine's cores as a real cluster's nodes share theirs.
 *
 * The nodes (chat, storage and backup roles; R = 3, 2 copies of every chunk, the first holding the
 * backup key) are started once, stopped, and given ROOMS rooms of generated posts written straight
 * into every store as an owner leaves them (a snapshot at each room's last hundredth post), then
 * started again, and each room gets a post through the room (active, as in a running cluster);
 * restic backs up the same records as one file per room (`--compression off`).
 * Every time is the job's own (its start to its end, as the node reports it); restic's is its
 * command's, and its peak RSS is GNU time's.
 *
 * Figures per size: backup MiB/s; an incremental backup after one room in a hundred got 5% more
 * posts (bytes stored, time); verify of every byte; one room restored after 1% more posts through
 * the room (its snapshots as it takes them); a full restore after every room lost its journal (the
 * nodes stopped, each journal replaced by one record of a newer epoch); each node's peak RSS
 * during the backup and the full restore; and the floor under the backup and the full restore,
 * LevelDB alone reading one store's records and writing three stores with them (backup-floor.ts),
 * beside restic. With two sizes or more: the seconds per GiB of the largest against the smallest,
 * for the backup and the full restore (the goal: at most 1.15×).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chatRoom } from '../actors/index.ts'
import { LevelReplicaStorage, LevelStore, ReplicaCore } from '../node/index.ts'
import { DEFAULT_PARTITIONS } from '../node/replication/constants.ts'
import { STORE_DIR } from '../node/constants.ts'
import type { Job } from '../protocols/index.ts'
import { chatClient, runCli } from '../test/helpers/node-process.ts'
import { ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { storeFloor } from './backup-floor.ts'
import { MIB, RECORD_BYTES, TEXT, appendRoomFile, dirBytes, ensureRestic, loseJournal, roomPosts, run } from './backup-common.ts'
import { figure, median } from './figure.ts'
import type { Bench, Figure } from './figure.ts'
import { cpuOf, quietNodes } from './quiet-nodes.ts'

const ROOMS = 100
const ROOM_SAMPLES = 9
const ROLES = 'chat,storage,backup'
/** Longer than the default: three nodes busy on two cores must not take each other for dead. */
const FAILURE_TIMEOUT_MS = 10_000
const JOB_POLL_MS = 200
const JOB_MAX_MS = 90 * 60_000
const QUIET_WINDOW_MS = 2_000
const QUIET_MAX_MS = 300_000
const POSTS_IN_FLIGHT = 16
/** A node on 5 GiB of journals took longer than the test clusters' 40 s to log that it is ready. */
const BOOT_MS = 600_000
const IDLE_HEAP_MS = 10_000
const RSS_GOAL = '<= 512 MiB'
/** No search index: each node would index every post written into its store before the nodes
 * started, for minutes, which no real cluster does all at once (it indexes posts as they come). */
const NODE_ARGS = ['--no-search']

/** What one size gave, for the growth figures. */
interface SizeRun { readonly mib: number, readonly figures: Figure[], readonly backupSPerGiB: number, readonly restoreSPerGiB: number }

export const backupNodesBench: Bench = {
  name: 'backup',
  description: 'encrypted backups on 3 node processes vs restic (--compression off) on the same data: backup, incremental, verify, one room and full restore, each node\'s peak RSS (BENCH_BACKUP_SIZES MiB, default 500,5120)',
  async run (log) {
    const restic = await ensureRestic(log)
    const sizes = (process.env.BENCH_BACKUP_SIZES ?? '500,5120').split(',').map((s) => Number(s.trim()))
    if (sizes.some((s) => !Number.isSafeInteger(s) || s < 10 || s > 65_536)) throw new Error('BENCH_BACKUP_SIZES: a comma-separated list of sizes in MiB, each 10 to 65536')
    const runs: SizeRun[] = []
    for (const mib of sizes) {
      const one = await oneSize(mib, restic, log)
      // each size's figures as soon as it is done (a larger size's failure keeps them)
      for (const f of one.figures) log(`  ${f.name}: ${f.value} ${f.unit} (baseline ${f.baseline}, ratio ${f.ratio})`)
      runs.push(one)
    }
    const figures = runs.flatMap((r) => r.figures)
    const [small, large] = [runs.reduce((a, b) => a.mib <= b.mib ? a : b), runs.reduce((a, b) => a.mib >= b.mib ? a : b)]
    if (small !== large) {
      figures.push(figure(`backup-s-per-gib-at-${large.mib}-vs-${small.mib}-mib`, 's/GiB', large.backupSPerGiB, `ours at ${small.mib} MiB`, small.backupSPerGiB, '<= 1.15x'))
      figures.push(figure(`full-restore-s-per-gib-at-${large.mib}-vs-${small.mib}-mib`, 's/GiB', large.restoreSPerGiB, `ours at ${small.mib} MiB`, small.restoreSPerGiB, '<= 1.15x'))
    }
    return figures
  }
}

async function oneSize (mib: number, restic: string | undefined, log: (line: string) => void): Promise<SizeRun> {
  const at = `-${mib}mib`
  const figures: Figure[] = []
  const dir = await tempDir('plexi-bench-nodes-')
  const cluster = new ProcessCluster({ failureTimeout: FAILURE_TIMEOUT_MS, bootMs: BOOT_MS })
  try {
    log(`# ${mib} MiB`)
    const keyFile = join(dir.path, 'backup.key')
    const made = await runCli(['backup', 'keygen', '--out', keyFile, '--json'])
    if (made.code !== 0) throw new Error(`bench: backup keygen failed: ${made.stderr}`)
    await cluster.start([{ roles: ROLES, args: [...NODE_ARGS, '--backup-key-file', keyFile] }, { roles: ROLES, args: NODE_ARGS }, { roles: ROLES, args: NODE_ARGS }])
    // (the node holding the key; a restart gives its slot a new process)
    const first = (): NodeSlot => cluster.slots[0] as NodeSlot
    const perRoom = Math.ceil(mib * MIB / ROOMS / RECORD_BYTES)
    const files = join(dir.path, 'files')
    await mkdir(files)
    const started = performance.now()
    const restartMs = await offline(cluster, async (cores) => {
      for (let r = 0; r < ROOMS; r++) {
        const entity = `room/b${r}`
        const records = roomPosts(0, perRoom)
        // the room's snapshot as its owner leaves it: at its last hundredth post, of its real state
        const seq = Math.floor(perRoom / 100) * 100
        const snapshot = seq > 0 ? { seq, state: roomState(`b${r}`, records.slice(0, seq)) } : undefined
        for (const core of cores) await writeJournal(core, entity, records, snapshot)
        await appendRoomFile(files, entity, records, true)
      }
    })
    log(`  ${ROOMS} rooms of ${perRoom} posts written to 3 stores and as files in ${((performance.now() - started) / 1000).toFixed(1)} s; the nodes started again, one after another, in ${(restartMs / 1000).toFixed(1)} s`)
    // every room active when the backup is made, as in a running cluster: a post to each through
    // the room (an activation seals the head it recovers in its own epoch: a backup made before it
    // would name a last record the replicas hold under another epoch by the time of a restore)
    const token = (await api<{ token: string }>(cluster, first(), '/users', { method: 'POST', body: { name: 'bench' } })).token
    await postTo(first(), token, Array.from({ length: ROOMS }, (_, r) => `b${r}`), 1)
    for (let r = 0; r < ROOMS; r++) await appendRoomFile(files, `room/b${r}`, roomPosts(perRoom, 1), false)
    const data = await dirBytes(files)
    const rate = (ms: number): number => (data / MIB) / (ms / 1000)
    const repo = join(dir.path, 'restic-repo')
    const env = { ...process.env, RESTIC_PASSWORD: 'bench-password', RESTIC_REPOSITORY: repo, RESTIC_CACHE_DIR: join(dir.path, 'restic-cache') }
    if (restic !== undefined) await run(restic, ['init', '--repository-version', '2'], { env })

    // the full backup
    log(`  quiet ${(await quiet(cluster) / 1000).toFixed(1)} s before the backup`)
    // (V8 gives back what a busy heap grew by some seconds after it goes idle)
    await new Promise((resolve) => setTimeout(resolve, IDLE_HEAP_MS))
    const atRest = await peaks(cluster, false)
    const atRestSplit = await split(cluster)
    await resetPeaks(cluster)
    const { value: backup, anon: backupAnon, cpu: backupCpu } = await anonPeaks(cluster, async () => await job(cluster, first(), '/backups', { note: 'bench' }))
    const backupRss = await peaks(cluster)
    const rows = await api<Array<{ id: string, stats: { bytes: number, chunks: number, newBytes: number, newChunks: number } | null }>>(cluster, first(), '/backups')
    const full = rows.at(-1)
    log(`  ours: ${((full?.stats?.bytes ?? 0) / MIB).toFixed(1)} MiB of stream in ${full?.stats?.chunks} chunks in ${(backup.ms / 1000).toFixed(2)} s, for ${(data / MIB).toFixed(1)} MiB of records as files; each node's RSS ${atRest.join(', ')} MiB at rest before (${atRestSplit.join(', ')}), peak ${backupRss.join(', ')} MiB during it (anonymous ${backupAnon.join(', ')}); CPU seconds ${backupCpu.map((c) => c.toFixed(1)).join(', ')}`)
    const theirs = restic === undefined ? undefined : await resticTimed(restic, ['backup', '--compression', 'off', '--quiet', files], env)
    if (theirs !== undefined) {
      figures.push(figure(`backup-mib-per-s-vs-restic${at}`, 'MiB/s', rate(backup.ms), 'restic backup --compression off, same data', rate(theirs.ms), '>= 0.5'))
      figures.push(figure(`backup-peak-rss-mib-per-node${at}`, 'MiB', Math.max(...backupRss), 'restic backup, its peak RSS', theirs.rssMib, `${RSS_GOAL} (VmHWM: with the store's tables mapped from disk)`))
      figures.push(figure(`backup-peak-anon-rss-mib-per-node${at}`, 'MiB', Math.max(...backupAnon), 'restic backup, its peak RSS', theirs.rssMib, `${RSS_GOAL} (RssAnon: heaps and native allocations)`))
    }

    // incremental: one room in a hundred gets 5% more posts, through the room
    const grown = await postTo(first(), token, ['b0'], Math.ceil(perRoom / 20))
    await appendRoomFile(files, 'room/b0', roomPosts(perRoom + 1, grown), false)
    const again = await job(cluster, first(), '/backups', { note: 'bench, again' })
    const second = (await api<Array<{ id: string, stats: { newBytes: number, newChunks: number } | null }>>(cluster, first(), '/backups')).at(-1)
    log(`  incremental, ours: ${((second?.stats?.newBytes ?? 0) / 1024).toFixed(0)} KiB new in ${second?.stats?.newChunks} chunks, ${again.ms.toFixed(0)} ms`)
    if (restic !== undefined) {
      const inc = await resticTimed(restic, ['backup', '--compression', 'off', '--json', files], env)
      const summary = inc.stdout.split('\n').filter((l) => l.includes('"summary"')).map((l) => JSON.parse(l) as { data_added?: number }).at(-1)
      figures.push(figure(`incremental-backup-kib-stored-after-1pct-vs-restic${at}`, 'KiB', (second?.stats?.newBytes ?? 0) / 1024, 'restic: data added after the same change', (summary?.data_added ?? 0) / 1024, 'proportional to the change (lower is better)'))
      figures.push(figure(`incremental-backup-ms-after-1pct-vs-restic${at}`, 'ms', again.ms, 'restic backup after the same change', inc.ms, 'lower is better'))
    }
    const id = second?.id ?? ''

    // verify every byte
    await quiet(cluster)
    const verify = await job(cluster, first(), `/backups/${id}/verify`, { full: true })
    if (restic !== undefined) {
      const check = await resticTimed(restic, ['check', '--read-data'], env)
      figures.push(figure(`verify-full-mib-per-s-vs-restic${at}`, 'MiB/s', rate(verify.ms), 'restic check --read-data', rate(check.ms), '>= 1.5'))
    }

    // one room that got 1% more posts since the backup, through the room (they go)
    const oneRoom: number[] = []
    for (let i = 0; i < ROOM_SAMPLES; i++) {
      await postTo(first(), token, [`b${50 + i}`], Math.ceil(perRoom / 100))
      const restored = await job(cluster, first(), `/backups/${id}/restore`, { room: `b${50 + i}` })
      if (i === 0) log(`  (the first: ${restored.job.message})`)
      oneRoom.push(restored.ms)
    }
    log(`  one room restored after 1% more posts through the room: p50 ${median(oneRoom).toFixed(0)} ms (${oneRoom.map((ms) => ms.toFixed(0)).join(', ')})`)

    // every journal lost (the nodes stopped: each replaced by one record of a newer epoch), then a
    // full restore
    await offline(cluster, async (cores) => {
      for (let r = 0; r < ROOMS; r++) for (const core of cores) await loseJournal(core, `room/b${r}`)
    })
    await quiet(cluster)
    await resetPeaks(cluster)
    const { value: restore, anon: restoreAnon, cpu: restoreCpu } = await anonPeaks(cluster, async () => await job(cluster, first(), `/backups/${id}/restore`, {}))
    const restoreRss = await peaks(cluster)
    log(`  full restore ${(restore.ms / 1000).toFixed(1)} s; each node's peak RSS ${restoreRss.join(', ')} MiB (anonymous ${restoreAnon.join(', ')}); CPU seconds ${restoreCpu.map((c) => c.toFixed(1)).join(', ')}`)
    let theirRestoreMs: number | undefined
    if (restic !== undefined) {
      const theirRoom: number[] = []
      for (let i = 0; i < ROOM_SAMPLES; i++) {
        theirRoom.push((await resticTimed(restic, ['restore', 'latest', '--target', join(dir.path, `restic-room-${i}`), '--include', join(files, `room-b${50 + i}.bin`)], env)).ms)
      }
      figures.push(figure(`one-room-restore-ms-p50${at}`, 'ms', median(oneRoom), 'restic restore --include one room\'s file', median(theirRoom), '<= 100 ms (lower is better)'))
      const all = await resticTimed(restic, ['restore', 'latest', '--target', join(dir.path, 'restic-all')], env)
      theirRestoreMs = all.ms
      figures.push(figure(`full-restore-mib-per-s-vs-restic${at}`, 'MiB/s', rate(restore.ms), 'restic restore to a directory', rate(all.ms), '>= 0.3 (three replicas written, restic one)'))
      figures.push(figure(`full-restore-peak-rss-mib-per-node${at}`, 'MiB', Math.max(...restoreRss), 'restic restore, its peak RSS', all.rssMib, `${RSS_GOAL} (VmHWM)`))
      figures.push(figure(`full-restore-peak-anon-rss-mib-per-node${at}`, 'MiB', Math.max(...restoreAnon), 'restic restore, its peak RSS', all.rssMib, `${RSS_GOAL} (RssAnon)`))
      for (let i = 0; i < ROOM_SAMPLES; i++) await rm(join(dir.path, `restic-room-${i}`), { recursive: true, force: true })
      await rm(join(dir.path, 'restic-all'), { recursive: true, force: true })
    }

    // the floor under both: LevelDB alone reading what the backup reads and writing what the full
    // restore writes (backup-floor.ts), beside restic in the same run
    const floor = await storeFloor(dir.path, ROOMS, perRoom)
    log(`  LevelDB alone: the records written into three stores in ${(floor.writeMs / 1000).toFixed(1)} s (the full restore took ${(restore.ms / floor.writeMs).toFixed(1)}× that); one store's ${(floor.readBytes / MIB).toFixed(0)} MiB of values read back in ${(floor.readMs / 1000).toFixed(1)} s (the backup took ${(backup.ms / floor.readMs).toFixed(1)}× that)`)
    if (theirs !== undefined) figures.push(figure(`floor-leveldb-read-one-store-mib-per-s-vs-restic-backup${at}`, 'MiB/s', rate(floor.readMs), 'restic backup --compression off, same data', rate(theirs.ms), 'a bound: below 0.5, the backup goal is out of reach'))
    if (theirRestoreMs !== undefined) figures.push(figure(`floor-leveldb-write-three-stores-mib-per-s-vs-restic-restore${at}`, 'MiB/s', rate(floor.writeMs), 'restic restore to a directory', rate(theirRestoreMs), 'a bound: below 0.3, the full-restore goal is out of reach'))
    const gib = data / (1024 * MIB)
    return { mib, figures, backupSPerGiB: backup.ms / 1000 / gib, restoreSPerGiB: restore.ms / 1000 / gib }
  } finally {
    await cluster.close()
    await dir.remove()
  }
}

/** Stops every node, runs `write` on their stores (one replica core each), and starts them again,
 * each joining the ones before it, until all see each other up, settled and caught up. */
async function offline (cluster: ProcessCluster, write: (cores: ReplicaCore[]) => Promise<void>): Promise<number> {
  for (const slot of cluster.slots) await slot.node.stop()
  const stores = await Promise.all(cluster.slots.map(async (slot) => await LevelStore.open(join(slot.dir, STORE_DIR), { sync: false })))
  try {
    const cores = await Promise.all(stores.map(async (store) => new ReplicaCore(await LevelReplicaStorage.open(store, DEFAULT_PARTITIONS), { leaseMs: 0, clock: () => performance.now(), startedAt: Date.now() })))
    await write(cores)
  } finally {
    for (const store of stores) await store.close()
  }
  const restarted = performance.now()
  for (let i = 0; i < cluster.slots.length; i++) await cluster.restart(i, cluster.slots.slice(0, i))
  const ms = performance.now() - restarted
  await cluster.awaitUp(cluster.slots.length)
  await cluster.awaitSettled(cluster.slots.length)
  await cluster.awaitCaughtUp()
  return ms
}

/** A room's state after `records`, as its entity type folds them. */
function roomState (key: string, records: ReturnType<typeof roomPosts>): unknown {
  let state = chatRoom.initialState(key)
  for (const { seq, event } of records) state = chatRoom.applyEvent(state, event as Parameters<typeof chatRoom.applyEvent>[1], seq)
  return state
}

/** A room's journal as its owner leaves it on a replica: fenced, its records, its snapshot. */
async function writeJournal (core: ReplicaCore, entity: string, records: ReturnType<typeof roomPosts>, snapshot: { seq: number, state: unknown } | undefined): Promise<void> {
  await core.handle({ op: 'fence', entity, epoch: 1, activation: 'bench' })
  for (let i = 0; i < records.length; i += 256) {
    const reply = await core.handle({ op: 'append', entity, epoch: 1, activation: 'bench', prevSeq: i, prevEpoch: i === 0 ? 0 : 1, records: records.slice(i, i + 256) })
    if (reply.result !== 'ok') throw new Error(`bench: append to ${entity} answered ${reply.result}`)
  }
  if (snapshot !== undefined) await core.handle({ op: 'save-snapshot', entity, epoch: 1, snapshot })
}


/** `count` posts to each of `rooms` through `slot`'s gRPC, POSTS_IN_FLIGHT at once; the count. */
async function postTo (slot: NodeSlot, token: string, rooms: readonly string[], count: number): Promise<number> {
  const client = chatClient(slot.node.grpc, token)
  try {
    for (const room of rooms) {
      let next = 0
      await Promise.all(Array.from({ length: POSTS_IN_FLIGHT }, async () => {
        while (next < count) {
          const i = next++
          await client.call('Post', { room, text: `after the backup ${i} ${TEXT}` })
        }
      }))
    }
    return count
  } finally {
    client.close()
  }
}

/** Starts a job with `POST path` on `slot` and waits for its end; its own time (start to end). */
async function job (cluster: ProcessCluster, slot: NodeSlot, path: string, body: object): Promise<{ job: Job, ms: number }> {
  const started = await api<Job>(cluster, slot, path, { method: 'POST', body })
  const deadline = Date.now() + JOB_MAX_MS
  for (;;) {
    const now = await api<Job>(cluster, slot, `/jobs/${started.id}`)
    if (now.state === 'done' && now.endedAt !== null) return { job: now, ms: Date.parse(now.endedAt) - Date.parse(now.startedAt) }
    if (now.state !== 'running') throw new Error(`bench: ${now.kind} job ${now.id} ended ${now.state}: ${now.error ?? now.message}`)
    if (Date.now() > deadline) throw new Error(`bench: ${now.kind} job ${now.id} still ${now.state} after ${JOB_MAX_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS))
  }
}

/**
 * The admin API of `slot` (ProcessCluster.api). A GET is asked again once when the connection was
 * reset before an answer (a kept-alive connection the node closed as it was reused); a POST is not
 * (it may have reached the node: a second backup or restore would spoil the figures). A node that
 * exited is said so, with its last log lines.
 */
async function api<T> (cluster: ProcessCluster, slot: NodeSlot, path: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await cluster.api<T>(slot, path, init)
    } catch (err) {
      if (slot.node.hasExited) throw new Error(`bench: node ${slot.peerId} exited; its last lines: ${slot.node.logs.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`, { cause: err })
      const reset = (err as { cause?: { code?: string } }).cause?.code === 'ECONNRESET'
      if (!reset || attempt >= 2 || (init.method ?? 'GET') !== 'GET') throw err
    }
  }
}

/** A restic command's time and peak RSS (GNU time's %M, when /usr/bin/time is there). */
async function resticTimed (restic: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number, rssMib: number, stdout: string }> {
  const started = performance.now()
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'maxrss-kib %M', restic, ...args], { env, maxBuffer: 64 * MIB }).catch(async () => ({ ...await run(restic, [...args], { env, maxBuffer: 64 * MIB }), stderr: '' }))
  const ms = performance.now() - started
  return { ms, rssMib: Math.round(Number(/maxrss-kib (\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1024), stdout }
}

/** Waits (at most QUIET_MAX_MS) until the nodes together use under a tenth of a core over
 * QUIET_WINDOW_MS (LevelDB merges what was written long after the writes); the ms it waited. */
async function quiet (cluster: ProcessCluster): Promise<number> {
  return await quietNodes(cluster.slots.map((s) => s.node.pid), { windowMs: QUIET_WINDOW_MS, maxMs: QUIET_MAX_MS })
}

/** Each node's peak RSS reset to its RSS now (Linux: clear_refs 5). */
async function resetPeaks (cluster: ProcessCluster): Promise<void> {
  for (const s of cluster.slots) await writeFile(`/proc/${s.node.pid}/clear_refs`, '5').catch(() => undefined)
}

/** How often each node's anonymous memory is sampled while a job runs. */
const ANON_SAMPLE_MS = 100

/**
 * Each node's peak of anonymous memory (RssAnon: its heaps and native allocations) while `during`
 * runs, sampled every ANON_SAMPLE_MS. VmHWM counts besides the pages of LevelDB's tables that
 * the store maps from disk as it reads them: clean file pages, which the kernel drops under memory
 * pressure, and which grow with the data read (up to LevelDB's 1,000 mapped tables).
 */
async function anonPeaks<T> (cluster: ProcessCluster, during: () => Promise<T>): Promise<{ value: T, anon: number[], cpu: number[] }> {
  const anon = cluster.slots.map(() => 0)
  const cpuBefore = await Promise.all(cluster.slots.map(async (s) => await cpuOf(s.node.pid)))
  const sample = async (): Promise<void> => {
    await Promise.all(cluster.slots.map(async (s, i) => {
      const status = await readFile(`/proc/${s.node.pid}/status`, 'utf8').catch(() => '')
      anon[i] = Math.max(anon[i] as number, Math.round(Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024))
    }))
  }
  const timer = setInterval(() => { void sample() }, ANON_SAMPLE_MS)
  try {
    const value = await during()
    await sample()
    const cpu = await Promise.all(cluster.slots.map(async (s, i) => await cpuOf(s.node.pid) - (cpuBefore[i] as number)))
    return { value, anon, cpu }
  } finally {
    clearInterval(timer)
  }
}

/** Each node's RSS now, split: anonymous memory and file pages mapped (MiB). */
async function split (cluster: ProcessCluster): Promise<string[]> {
  return await Promise.all(cluster.slots.map(async (s) => {
    const status = await readFile(`/proc/${s.node.pid}/status`, 'utf8').catch(() => '')
    const kib = (field: string): number => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024)
    return `${kib('RssAnon')} anon + ${kib('RssFile')} file`
  }))
}

/** Each node's peak RSS (MiB, VmHWM) since the last reset, or (`peak` false) its RSS now (VmRSS). */
async function peaks (cluster: ProcessCluster, peak = true): Promise<number[]> {
  return await Promise.all(cluster.slots.map(async (s) => {
    const status = await readFile(`/proc/${s.node.pid}/status`, 'utf8').catch(() => '')
    return Math.round(Number((peak ? /VmHWM:\s+(\d+)/ : /VmRSS:\s+(\d+)/).exec(status)?.[1] ?? 0) / 1024)
  }))
}
