/**
 * Posts counted per room, each room in a file of its own under the plugin's `counts` folder (the
 * one folder it may write): `<room>.json`, `{ posts, lastSeq, lastTs }`.
 *
 * Plexi sends every committed post at least once, in seq order per room, one at a time per room:
 * after a crash, posts already sent may come again. Counting only a seq above the room's last one
 * makes the count exact; writing the count before answering makes it survive a crash of the
 * plugin. Each count reads the room's file again rather than trusting memory: during a hot swap
 * the old and the new version of the plugin run side by side, and a room's next post goes to the
 * new one only once the old one answered the last, so that the file is always the truth.
 */
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface RoomCount {
  readonly posts: number
  /** The seq of the last post counted (0: none). */
  readonly lastSeq: number
  /** Its time (ms since the epoch). */
  readonly lastTs: number
}

const NONE: RoomCount = { posts: 0, lastSeq: 0, lastTs: 0 }
const SUFFIX = '.json'

export class PostCounts {
  readonly #dir: string

  constructor (dir: string) {
    this.#dir = dir
  }

  /** Counts the post `seq` of `room`: true, or false when it was counted already (sent again). */
  count (room: string, seq: number, ts: number): boolean {
    const was = this.get(room)
    if (seq <= was.lastSeq) return false
    const now: RoomCount = { posts: was.posts + 1, lastSeq: seq, lastTs: ts }
    const file = this.#file(room)
    // whole or not at all: a kill between the two calls leaves the last count as it was
    const temp = `${file}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(now))
    renameSync(temp, file)
    return true
  }

  get (room: string): RoomCount {
    let text: string
    try {
      text = readFileSync(this.#file(room), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return NONE
      throw err
    }
    return JSON.parse(text) as RoomCount
  }

  /** Every room counted, most posts first. */
  all (): Array<RoomCount & { readonly room: string }> {
    let names: string[]
    try {
      names = readdirSync(this.#dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    return names
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => {
        const room = decodeURIComponent(name.slice(0, -SUFFIX.length))
        return { room, ...this.get(room) }
      })
      .sort((a, b) => b.posts - a.posts || (a.room < b.room ? -1 : 1))
  }

  #file (room: string): string {
    // room names are file names already (a-z, 0-9, '.', '_', '-'); encoded all the same, so that
    // no name can ever leave the folder
    return join(this.#dir, `${encodeURIComponent(room)}${SUFFIX}`)
  }
}
