import { randomBytes } from 'node:crypto'
import { link, open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ChunkStoreLockedError } from './errors.ts'

/** The lock's file name in the store's directory. */
const LOCK_FILE = 'lock'
/** What a lock file holds: the pid and the start time of the process that holds it; a pid alone
 * cannot tell this process from an earlier one of the same pid (a container's pid 1). */
const LOCK_LINE = /^(\d+) (\d+(?:\.\d+)?)\n$/

/**
 * A chunk store's directory lock, `dir/lock`: one store per directory, in this process or any
 * other. Node has no advisory lock (flock), so the lock is a file made atomically (written aside,
 * then hard-linked into place: it never exists half-written) holding the pid and start time of its
 * process. A lock of a process that is gone (killed, crashed: its pid is not alive, or is this
 * process but with another start time) is stale and taken over. A live pid that a stale lock's pid
 * was reused by keeps the store locked until the lock file is removed by hand (the error says so).
 * Two processes taking over the same stale lock at the same instant could both succeed; one node
 * per directory never does that.
 */
export class StoreLock {
  readonly dir: string

  private constructor (dir: string) {
    this.dir = dir
  }

  /** Takes the lock of `dir`; ChunkStoreLockedError when a live process (this one included) holds it. */
  static async take (dir: string): Promise<StoreLock> {
    const path = join(dir, LOCK_FILE)
    const aside = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`)
    const file = await open(aside, 'wx', 0o644)
    try {
      await file.writeFile(`${process.pid} ${performance.timeOrigin}\n`)
    } finally {
      await file.close()
    }
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await link(aside, path)
          return new StoreLock(dir)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw err
        }
        await StoreLock.#takeOverStale(dir, path)
      }
    } finally {
      await unlink(aside)
    }
  }

  /** Gives the lock back (a lock file gone already is no error). */
  async release (): Promise<void> {
    await unlink(join(this.dir, LOCK_FILE)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
  }

  /** Removes the lock at `path` when its process is gone; ChunkStoreLockedError when it lives. */
  static async #takeOverStale (dir: string, path: string): Promise<void> {
    let text: string
    try {
      text = await readFile(path, 'latin1')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    const m = LOCK_LINE.exec(text)
    if (m === null) throw new ChunkStoreLockedError(dir, undefined, `its lock file ${path} is not one this version writes`)
    const pid = Number(m[1])
    const stale = pid === process.pid ? m[2] !== String(performance.timeOrigin) : !alive(pid)
    if (!stale) throw new ChunkStoreLockedError(dir, pid, pid === process.pid ? 'this process has it open already' : `process ${pid} has it open`)
    await unlink(path).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it lives, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
