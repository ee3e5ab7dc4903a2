import { createRequire } from 'node:module'
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { LogLevel } from '../config/index.ts'
import type { LogTail } from './log-tail.ts'

/**
 * The node's logger: JSON lines on stdout (one object per line, for log shippers and tests), or
 * human-readable lines through pino-pretty when stdout is a terminal; and, when `tail` is given,
 * every line kept there too for the admin API's live tail; `mixin`: fields added to every line (the
 * trace ids of the span it is written in: node/tracing TraceLogFields).
 */
export function createLogger (level: LogLevel, pretty_ = process.stdout.isTTY === true, tail?: LogTail, mixin?: () => object): Logger {
  // pino-pretty (30 modules) is loaded only for a terminal: a node under a service manager or a
  // test writes JSON lines and never needs it
  const stdout = pretty_
    ? (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty'))({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true })
    : pino.destination({ dest: 1, sync: true })
  // (a mixin only with tracing on: node/tracing's TraceLogFields adds a span's ids to each line)
  const options = mixin === undefined ? { level } : { level, mixin }
  if (tail === undefined) return pino(options, stdout)
  return pino(options, pino.multistream([{ level: 'trace', stream: stdout }, { level: 'trace', stream: tail }]))
}
