import { open, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT } from './constants.ts'
import type { Pack, PackIndex } from './pack-index.ts'
import { sha256 } from './pack-record.ts'
import type { ScannedRecord } from './pack-record.ts'
import { scanPack } from './pack-scan.ts'
import type { PackWriter } from './pack-writer.ts'
import { syncDir } from './sync-dir.ts'

/** What a compaction keeps of a pack, and what it learned of its records. */
interface Survey {
  /** Records the state still needs, with a put's body (checked). */
  readonly keep: Array<{ record: ScannedRecord, body: Buffer | undefined }>
  /** Put records of each id in the pack. */
  readonly putsHere: Map<string, number>
  /** Ids whose live record is kept (written again). */
  readonly moved: Set<string>
  /** Tombstones in the pack no longer needed (no put of the id survives elsewhere). */
  readonly dropped: string[]
}

/**
 * Rewrites a chunk store's packs that are mostly dead: a pack's live records are read and checked,
 * appended (with the tombstones still needed) to the current pack and made durable, and only then
 * is the pack deleted and its directory fsynced. A crash at any point leaves at most two identical
 * copies of a chunk, never none. A damaged pack is left alone (and reported).
 */
export class PackCompaction {
  readonly #index: PackIndex
  readonly #writer: PackWriter

  constructor (index: PackIndex, writer: PackWriter) {
    this.#index = index
    this.#writer = writer
  }

  /** Whether a pack is worth rewriting: more than half dead, or empty (and not the current one). */
  worthCompacting (p: Pack): boolean {
    if (p.damaged) return false
    // an empty pack is a leftover of a crash right after a new pack was made
    if (p.size === 0) return p !== this.#writer.current
    return (p.size - p.live) * 2 > p.size
  }

  /** The packs worth rewriting now, in ascending order. */
  candidates (): number[] {
    return [...this.#index.packs()].filter((p) => this.worthCompacting(p)).map((p) => p.n).sort((a, b) => a - b)
  }

  /**
   * Rewrites pack `n`. Returns the bytes freed, or undefined when the pack no longer qualifies or is
   * found damaged (then nothing of it is deleted, and it is reported).
   */
  async compact (n: number): Promise<number | undefined> {
    const pack = this.#index.pack(n)
    if (pack === undefined || !this.worthCompacting(pack)) return undefined
    this.#writer.checkWritable()
    // copies go after every record there is, so they win on the next open's scan
    if (pack === this.#writer.current) await this.#writer.newPack(n + 1)
    const path = this.#writer.path(n)
    const handle = await open(path, 'r')
    let survey: Survey | undefined
    try {
      survey = await this.#survey(handle, pack)
    } finally {
      await handle.close()
    }
    if (survey === undefined) return undefined
    const written = await this.#moveKept(pack, survey)
    await unlink(path)
    await syncDir(this.#writer.packsDir)
    this.#index.deletePack(n)
    this.#index.packGone(survey.putsHere, survey.moved, survey.dropped)
    return pack.size - written
  }

  /** Reads the pack's records and the live ones' bodies; undefined when it is found damaged. */
  async #survey (handle: FileHandle, pack: Pack): Promise<Survey | undefined> {
    const survey: Survey = { keep: [], putsHere: new Map(), moved: new Set(), dropped: [] }
    const scan = await scanPack(handle, pack.size, false)
    if (scan.end < pack.size) return this.#damaged(pack, scan.end, scan.why)
    for (const r of scan.records) {
      if (r.kind === PACK_RECORD_PUT) survey.putsHere.set(r.id, (survey.putsHere.get(r.id) ?? 0) + 1)
    }
    for (const r of scan.records) {
      if (r.kind === PACK_RECORD_PUT) {
        const entry = this.#index.get(r.id)
        if (entry?.pack !== pack.n || entry.offset !== r.offset) continue
        const body = Buffer.allocUnsafe(r.length)
        const { bytesRead } = await handle.read(body, 0, r.length, r.offset + PACK_RECORD_HEADER_BYTES)
        if (bytesRead !== r.length || sha256(body).toString('hex') !== r.digest) {
          return this.#damaged(pack, r.offset, `chunk ${r.id} does not match its SHA-256`)
        }
        survey.keep.push({ record: r, body })
        survey.moved.add(r.id)
      } else {
        const tomb = this.#index.tombstone(r.id)
        if (tomb?.pack !== pack.n || tomb.offset !== r.offset) continue
        // needed only while a put of the id survives in another pack
        if (tomb.puts - (survey.putsHere.get(r.id) ?? 0) > 0) survey.keep.push({ record: r, body: undefined })
        else survey.dropped.push(r.id)
      }
    }
    return survey
  }

  /** Appends the kept records to the current pack and points the index at them; the bytes written. */
  async #moveKept (pack: Pack, survey: Survey): Promise<number> {
    if (survey.keep.length === 0) return 0
    const { pack: into, offsets } = await this.#writer.append(survey.keep.map(({ record, body }) => ({ kind: record.kind, id: record.id, digest: record.digest, body })))
    const target = this.#index.pack(into) as Pack
    let written = 0
    survey.keep.forEach(({ record }, i) => {
      const size = PACK_RECORD_HEADER_BYTES + record.length
      written += size
      pack.live -= size
      target.live += size
      this.#index.moved(record, into, offsets[i] as number)
    })
    return written
  }

  #damaged (pack: Pack, offset: number, why: string): undefined {
    this.#index.markDamaged(pack, this.#writer.path(pack.n), offset, why)
    return undefined
  }
}
