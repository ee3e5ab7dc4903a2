import { clip } from '../protocols/index.ts'

/** pino's level numbers and names. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const
export type LogLevelName = keyof typeof LOG_LEVELS

/** One line of the node's log as the admin API shows it. */
export interface LogEntry {
  /** Counts the lines this node logged since it started (a gap: lines the tail dropped). */
  readonly seq: number
  /** ms since the epoch */
  readonly time: number
  readonly level: LogLevelName
  readonly msg: string
  /** The part of the node that logged it (`component` of a child logger), or null. */
  readonly component: string | null
  /** Everything else the line carries (an error's message and stack, a peer id, ...). */
  readonly fields: Record<string, unknown>
}

export interface LogTailOptions {
  /** Lines kept for a new reader. @default 1000 */
  readonly capacity?: number
}

/** A message longer than this is cut (a log line is for reading, not for carrying data). */
const MAX_MSG = 2000
/** Fields longer than this as JSON are replaced by a note saying so. */
const MAX_FIELDS_JSON = 8192
/** Fields every pino line has, shown elsewhere or of no use in a tail. */
const DROPPED = new Set(['level', 'time', 'msg', 'component', 'pid', 'hostname', 'v'])
const NAMES = new Map<number, LogLevelName>(Object.entries(LOG_LEVELS).map(([name, n]) => [n, name as LogLevelName]))

/**
 * The last lines the node logged, kept in memory for the admin API's live tail (`GET
 * /api/v1/logs`, `/logs/stream`): a pino destination (node/logger.ts writes every line to it as
 * well as to stdout). A bounded ring: an old line is forgotten when a new one comes, and a reader
 * too slow to keep up is its own concern (see `subscribe`).
 */
export class LogTail {
  readonly #capacity: number
  readonly #ring: LogEntry[] = []
  readonly #readers = new Set<(entry: LogEntry) => void>()
  #seq = 0

  constructor (opts: LogTailOptions = {}) {
    this.#capacity = opts.capacity ?? 1000
  }

  /** The seq of the last line kept (0: none yet): the same seq, the same lines. */
  get seq (): number {
    return this.#seq
  }

  /** pino's destination interface: one JSON line per call. A line that is not one is ignored. */
  write (line: string): boolean {
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      return true
    }
    if (typeof raw !== 'object' || raw === null) return true
    this.push(raw as Record<string, unknown>)
    return true
  }

  /** Adds one line as pino writes it (`{level, time, msg, ...}`). */
  push (raw: Record<string, unknown>): LogEntry {
    const level = NAMES.get(typeof raw.level === 'number' ? raw.level : 30) ?? 'info'
    const fields: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(raw)) if (!DROPPED.has(key)) fields[key] = value
    const json = JSON.stringify(fields)
    const entry: LogEntry = {
      seq: ++this.#seq,
      time: typeof raw.time === 'number' ? raw.time : Date.now(),
      level,
      msg: clip(typeof raw.msg === 'string' ? raw.msg : '', MAX_MSG),
      component: typeof raw.component === 'string' ? clip(raw.component, 100) : null,
      fields: json.length > MAX_FIELDS_JSON ? { truncated: `${json.length} bytes of fields left out` } : fields
    }
    this.#ring.push(entry)
    if (this.#ring.length > this.#capacity) this.#ring.shift()
    for (const reader of this.#readers) {
      // a reader that fails is dropped: the log itself must never fail
      try { reader(entry) } catch { this.#readers.delete(reader) }
    }
    return entry
  }

  /** The last `limit` lines at `level` or above, oldest first. */
  entries (level: LogLevelName = 'trace', limit = this.#capacity): LogEntry[] {
    const min = LOG_LEVELS[level]
    const out: LogEntry[] = []
    for (let i = this.#ring.length - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.#ring[i] as LogEntry
      if (LOG_LEVELS[entry.level] >= min) out.push(entry)
    }
    return out.reverse()
  }

  /** Calls `reader` with every line logged from now on, until the returned function is called. */
  subscribe (reader: (entry: LogEntry) => void): () => void {
    this.#readers.add(reader)
    return () => { this.#readers.delete(reader) }
  }
}
