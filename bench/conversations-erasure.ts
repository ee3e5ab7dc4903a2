/**
 * The erasure part of `npm run bench -- conversations` (the lead's bench/conversations.ts calls
 * `erasureFigures` with a running 3-node cluster): a user with 10,000 posts in a few rooms is
 * erased, and the time until their text is gone is measured (the erase job, from its request to
 * its end) beside the same posts redacted one by one through the admin API (a sample, scaled).
 * "Gone" is checked by reading, not by asking: every node's LevelDB store scanned value by value
 * (POST /api/v1/storage/scan), the files of every node's data dir outside the store (the search
 * index, whatever its layout), each room's export read whole, and a search of the marker through
 * every node (its own index answers for the partitions it holds: found before, none after).
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { awaitIndexed } from './conversations-transfer.ts'
import type { Figure } from './figure.ts'

/** A node as the erasure bench reaches it: its admin endpoint (host:port) and admin token, and its
 * data dir when it runs on this machine (for the index files). A NodeSlot's `node` is one. */
export interface ErasureNode {
  readonly admin: string
  readonly adminToken: string
  readonly dataDir?: string
}

export interface ErasureBenchOptions {
  /** Posts of the erased user. @default 10,000 */
  readonly posts?: number
  /** Rooms they are in (fresh ones, or the loaded cluster's: `rooms`). @default 10 fresh rooms */
  readonly roomCount?: number
  readonly rooms?: readonly string[]
  /** Redactions one by one the baseline makes (then scaled to `posts`). @default 200 */
  readonly baselineSample?: number
  /** Puts `posts` posts of `user` with texts `text(i)` into `rooms`. @default the import route
   * (POST /api/v1/rooms/{room}/import?as=USER, a Plexi NDJSON export per room) */
  readonly load?: (nodes: readonly ErasureNode[], user: string, rooms: readonly string[], posts: number, text: (i: number) => string) => Promise<void>
  /** How many places of a node's search index hold `text`. @default the files of its data dir outside
   * the store and the models, read byte by byte */
  readonly indexHolds?: (node: ErasureNode, text: string) => Promise<number>
  readonly log?: (line: string) => void
}

/** What the import route takes as a Plexi export's first line. */
const EXPORT_FORMAT = 'plexi-export/1'
/** How often a job is polled (ms). */
const POLL_MS = 50
/** The longest an erasure may take before the bench gives up (ms). */
const ERASE_LIMIT_MS = 300_000

async function admin<T> (node: ErasureNode, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://${node.admin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${node.adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) })
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path} on ${node.admin}: ${res.status} ${text}`)
  return JSON.parse(text) as T
}

/** The default loader: each room's posts as one Plexi export imported as `user`. */
async function importPosts (nodes: readonly ErasureNode[], user: string, rooms: readonly string[], posts: number, text: (i: number) => string): Promise<void> {
  const perRoom = Math.ceil(posts / rooms.length)
  await Promise.all(rooms.map(async (room, r) => {
    const node = nodes[r % nodes.length] as ErasureNode
    const first = r * perRoom
    const count = Math.min(perRoom, posts - first)
    if (count <= 0) return
    const lines = [JSON.stringify({ format: EXPORT_FORMAT, source: `bench/erasure/${user}/${room}`, kind: 'room', name: room, exportedAt: Date.now(), from: 1, to: count, floor: 1 })]
    for (let i = 0; i < count; i++) lines.push(JSON.stringify({ seq: i + 1, kind: 'message', user, ts: Date.now() - (count - i) * 1_000, text: text(first + i) }))
    const res = await fetch(`http://${node.admin}/api/v1/rooms/${room}/import?as=${user}`, {
      method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n`
    })
    if (!res.ok) throw new Error(`import into ${room}: ${res.status} ${await res.text()}`)
  }))
}

/** Files of a node's data dir outside its store and models that hold `text`, read byte by byte. */
/** The files that held the text at the last look, relative to their data dir (a failure names them). */
const filesHolding: string[] = []

async function dataDirHolds (node: ErasureNode, text: string): Promise<number> {
  if (node.dataDir === undefined) return 0
  const needle = Buffer.from(text, 'utf8')
  let holding = 0
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (dir === node.dataDir && ['store', 'models'].includes(entry.name)) continue
        await walk(path)
      } else if (entry.isFile() && (await stat(path)).size < 2 ** 31) {
        if ((await readFile(path).catch(() => Buffer.alloc(0))).includes(needle)) {
          holding++
          filesHolding.push(path.slice((node.dataDir as string).length + 1))
        }
      }
    }
  }
  await walk(node.dataDir)
  return holding
}

/** Waits for job `id` on `node` to end; its final state. Each step the job names (its message,
 * counts aside) is logged with when it began, so a slow run says where its time went. */
async function jobEnd (node: ErasureNode, id: string, log?: (line: string) => void): Promise<{ state: string, message: string, error: string | null }> {
  const started = performance.now()
  const deadline = started + ERASE_LIMIT_MS
  let step = ''
  for (;;) {
    const job = await admin<{ state: string, message: string, error: string | null }>(node, 'GET', `/jobs/${id}`)
    const now = job.state === 'running' ? job.message.replace(/\d+/g, 'N') : job.state
    if (now !== step) {
      step = now
      log?.(`  ${((performance.now() - started) / 1000).toFixed(2)} s: ${job.state === 'running' ? job.message : job.state}`)
    }
    if (job.state !== 'running') return job
    if (performance.now() > deadline) throw new Error(`job ${id} still running after ${ERASE_LIMIT_MS} ms: ${job.message}`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/** Where the text still is: store values per node, index files per node, hits of a search through
 * each node, and rooms' exports. */
async function whereStill (nodes: readonly ErasureNode[], rooms: readonly string[], marker: string, indexHolds: NonNullable<ErasureBenchOptions['indexHolds']>): Promise<{ stores: number[], index: number[], found: number[], exports: number }> {
  const stores = await Promise.all(nodes.map(async (n) => (await admin<{ holding: number }>(n, 'POST', '/storage/scan', { text: marker })).holding))
  const index = await Promise.all(nodes.map(async (n) => await indexHolds(n, marker)))
  const found = await Promise.all(nodes.map(async (n) => (await admin<{ hits: unknown[] }>(n, 'GET', `/search?q=${encodeURIComponent(marker)}&limit=100`)).hits.length))
  let exports = 0
  for (const [i, room] of rooms.entries()) {
    const node = nodes[i % nodes.length] as ErasureNode
    const res = await fetch(`http://${node.admin}/api/v1/rooms/${room}/export?format=json`, { headers: { authorization: `Bearer ${node.adminToken}` } })
    if (res.status === 404) continue
    if ((await res.text()).includes(marker)) exports++
  }
  return { stores, index, found, exports }
}

/**
 * The erasure figures: seconds until a user with `posts` posts is erased (the job, request to end,
 * its text then checked gone from every node's store, index files and the rooms' exports) beside
 * the same number of posts redacted one by one through the admin API (a sample, scaled); and the
 * seconds until every check read zero. Throws when anything still holds the text.
 */
export async function erasureFigures (nodes: readonly ErasureNode[], options: ErasureBenchOptions = {}): Promise<Figure[]> {
  const posts = options.posts ?? 10_000
  const tag = Date.now().toString(36)
  const user = `erased-${tag}`
  const rooms = options.rooms ?? Array.from({ length: options.roomCount ?? 10 }, (_, i) => `erase-${tag}-${i}`)
  // the marker is in every post and nowhere else: what the checks look for
  const marker = `gone-${tag}`
  const text = (i: number): string => `${marker} post ${i}: what ${user} wrote, to be erased`
  const node = nodes[0] as ErasureNode
  await admin(node, 'POST', '/users', { name: user })
  const loading = performance.now()
  await (options.load ?? importPosts)(nodes, user, rooms, posts, text)
  options.log?.(`loaded ${posts} posts of ${user} in ${rooms.length} rooms in ${((performance.now() - loading) / 1000).toFixed(1)} s`)
  // the posts erased are indexed first, as a user's posts are by the time anyone asks to erase
  // them: the erasure does not share the cores with indexing what was just loaded, and the
  // index's check after it means something
  options.log?.(`search indexed them in ${(await awaitIndexed(nodes)).toFixed(1)} s more`)
  const indexHolds = options.indexHolds ?? dataDirHolds
  const before = await whereStill(nodes, rooms, marker, indexHolds)
  options.log?.(`before: stores ${before.stores.join('/')}, index files ${before.index.join('/')}, found by search through each node ${before.found.join('/')}`)
  if (before.stores.some((n) => n === 0)) throw new Error(`a node's store holds none of ${user}'s posts before the erasure (${before.stores.join(', ')}): the load did not reach every replica`)
  if (before.found.some((n) => n === 0)) throw new Error(`a search through a node finds none of ${user}'s posts before the erasure (${before.found.join(', ')}): the check after it would prove nothing`)

  const started = performance.now()
  const job = await admin<{ id: string }>(nodes[1 % nodes.length] as ErasureNode, 'POST', `/users/${user}/erase`)
  const ended = await jobEnd(nodes[1 % nodes.length] as ErasureNode, job.id, options.log)
  const erased = (performance.now() - started) / 1000
  if (ended.state !== 'done') throw new Error(`erasure of ${user} ${ended.state}: ${ended.error ?? ended.message}`)
  options.log?.(`erase job: ${ended.message} in ${erased.toFixed(2)} s`)
  filesHolding.length = 0
  const after = await whereStill(nodes, rooms, marker, indexHolds)
  const verified = (performance.now() - started) / 1000
  options.log?.(`after: stores ${after.stores.join('/')}, index files ${after.index.join('/')}, found ${after.found.join('/')}, exports ${after.exports} (checked in ${(verified - erased).toFixed(1)} s)`)
  if (after.stores.some((n) => n > 0) || after.index.some((n) => n > 0) || after.found.some((n) => n > 0) || after.exports > 0) {
    throw new Error(`${user}'s text is still held after the erasure: stores ${after.stores.join('/')}, index files ${after.index.join('/')} (${filesHolding.join(', ')}), found ${after.found.join('/')}, exports ${after.exports}`)
  }

  const baseline = await redactOneByOne(nodes, options.baselineSample ?? 200, tag, options.load)
  const scaled = baseline * posts
  options.log?.(`baseline: one redaction through the admin API takes ${(baseline * 1000).toFixed(1)} ms: ${scaled.toFixed(1)} s for ${posts}`)
  return [
    { name: `conversations erasure of a user with ${posts} posts`, unit: 's', value: erased, baseline_name: `${posts} posts redacted one by one (admin API, scaled from a sample)`, baseline: scaled, ratio: erased / scaled, goal: '<= 10 s' },
    { name: 'conversations erasure checked gone (stores, index, exports)', unit: 's', value: verified, baseline_name: 'the erase job alone', baseline: erased, ratio: verified / erased }
  ]
}

/** Seconds per post redacted one by one by an admin (`sample` posts of a fresh room). */
async function redactOneByOne (nodes: readonly ErasureNode[], sample: number, tag: string, load: ErasureBenchOptions['load']): Promise<number> {
  const room = `erase-${tag}-baseline`
  const node = nodes[0] as ErasureNode
  await admin(node, 'POST', '/users', { name: `baseline-${tag}` })
  await (load ?? importPosts)(nodes.slice(0, 1), `baseline-${tag}`, [room], sample, (i) => `baseline post ${i}`)
  const started = performance.now()
  for (let seq = 1; seq <= sample; seq++) await admin(node, 'POST', `/rooms/${room}/redact`, { seq })
  return (performance.now() - started) / 1000 / sample
}
