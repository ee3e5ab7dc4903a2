/**
 * What the two backup benches share (bench/backup.ts: nodes in this process; bench/backup-nodes.ts:
 * nodes as processes): the posts they back up, restic's files of them, and restic itself.
 */
import { execFile } from 'node:child_process'
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createPlainCodec } from '../actors/index.ts'
import type { ReplicaCore } from '../node/index.ts'

export const run = promisify(execFile)
export const MIB = 1_048_576
/** Posts of about 200 bytes of text, as a chat holds. */
export const TEXT = 'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. '
/** Bytes a generated post's record takes, about (what sizes the data). */
export const RECORD_BYTES = 230

const codec = createPlainCodec()

/** A room's posts from seq `from` + 1, `count` of them, of epoch 1. */
export function roomPosts (from: number, count: number): Array<{ seq: number, epoch: number, event: { type: string, user: string, text: string, ts: number } }> {
  return Array.from({ length: count }, (_, i) => ({
    seq: from + i + 1,
    epoch: 1,
    event: { type: 'message-posted', user: `u${(from + i) % 50}`, text: `${from + i} ${TEXT}${TEXT.slice(0, (from + i) % 80)}`, ts: 1_790_000_000_000 + from + i }
  }))
}

/** Appends records to a room's file for restic (msgpack [seq, epoch, event] each): restic backs up
 * files, ours journals. */
export async function appendRoomFile (files: string, entity: string, records: ReadonlyArray<{ seq: number, epoch: number, event: unknown }>, fresh: boolean): Promise<void> {
  const file = join(files, `${entity.replace('/', '-')}.bin`)
  const encoded = Buffer.concat(records.map((r) => codec.encode([r.seq, r.epoch, r.event])))
  const before = fresh ? Buffer.alloc(0) : await readFile(file)
  await writeFile(file, Buffer.concat([before, encoded]))
}

/** A journal replaced, on one replica, by one record of a newer epoch (its disk lost, an owner
 * started over): what a restore then writes whole. */
export async function loseJournal (core: Pick<ReplicaCore, 'handle'>, entity: string): Promise<void> {
  const epoch = (await core.handle({ op: 'summary', entity })).promised + 1
  await core.handle({ op: 'fence', entity, epoch, activation: 'lost' })
  const reply = await core.handle({ op: 'append', entity, epoch, activation: 'lost', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch, event: { type: 'message-posted', user: 'u1', text: 'lost', ts: 1 } }] })
  if (reply.result !== 'ok') throw new Error(`bench: losing ${entity} answered ${reply.result}`)
}

/** `entity` woken on a replica as an activation of a later epoch wakes it: the head it recovers
 * sealed anew under its own epoch, and `posts` more after it. */
export async function wakeJournal (core: Pick<ReplicaCore, 'handle'>, entity: string, posts: number): Promise<void> {
  const s = await core.handle({ op: 'summary', entity })
  const [before, last] = await core.handle({ op: 'read', entity, from: s.head - 1, limit: 2 })
  if (before === undefined || last === undefined) throw new Error(`bench: ${entity} holds fewer than two records`)
  const epoch = s.promised + 1
  await core.handle({ op: 'fence', entity, epoch, activation: 'woken' })
  const records = [{ seq: s.head, epoch, event: last.event }, ...Array.from({ length: posts }, (_, i) => ({ seq: s.head + 1 + i, epoch, event: { type: 'message-posted', user: 'u1', text: `woken ${i}`, ts: 1 } }))]
  const reply = await core.handle({ op: 'append', entity, epoch, activation: 'woken', prevSeq: s.head - 1, prevEpoch: before.epoch, records })
  if (reply.result !== 'ok') throw new Error(`bench: waking ${entity} answered ${reply.result}`)
}

export async function dirBytes (dir: string): Promise<number> {
  let n = 0
  for (const name of await readdir(dir)) n += (await stat(join(dir, name))).size
  return n
}

export async function timed<T> (what: () => Promise<T>): Promise<{ value: T, ms: number }> {
  const started = performance.now()
  const value = await what()
  return { value, ms: performance.now() - started }
}

/** Debian's restic: found, or installed with apt-get when this process may; undefined (with a
 * message) when neither. */
export async function ensureRestic (log: (line: string) => void): Promise<string | undefined> {
  const found = await run('sh', ['-c', 'command -v restic']).then((r) => r.stdout.trim(), () => '')
  if (found !== '') return found
  if (process.getuid?.() !== 0) {
    log('  restic is not installed and this process may not install it (not root): the restic figures are skipped; apt-get install restic to get them')
    return undefined
  }
  log('  installing restic (apt-get install restic), a benchmark-only dependency')
  try {
    await run('apt-get', ['update', '-qq'], { maxBuffer: 64 * MIB, timeout: 300_000 })
    await run('apt-get', ['install', '-y', '-qq', 'restic'], { maxBuffer: 64 * MIB, timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  } catch (err) {
    log(`  restic could not be installed (${(err as Error).message.split('\n')[0] ?? ''}): the restic figures are skipped`)
    return undefined
  }
  return await run('sh', ['-c', 'command -v restic']).then((r) => r.stdout.trim() || undefined, () => undefined)
}
