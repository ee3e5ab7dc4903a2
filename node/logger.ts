import { pino } from 'pino'
import type { Logger } from 'pino'
import type { LogLevel } from '../config/index.ts'

/**
 * The node's logger: JSON lines on stdout (one object per line, for log shippers and tests), or
 * human-readable lines through pino-pretty when stdout is a terminal.
 */
export function createLogger (level: LogLevel, pretty = process.stdout.isTTY === true): Logger {
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
    })
  }
  return pino({ level }, pino.destination({ dest: 1, sync: true }))
}
