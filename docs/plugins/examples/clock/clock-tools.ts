/**
 * The clock's tools, as plain functions (the server only wires them to MCP, so that they can be
 * tested, and measured, without a process): `now`, the time in a time zone, and `add_days`,
 * calendar arithmetic on dates.
 */
import type { Tool, ToolAnswer } from './mcp-stdio.ts'

const DAY_MS = 86_400_000
/** Days `add_days` moves at most: about 2,700 years, so that every answer is a date of years 0 to
 * 9999 written with four digits. */
export const MAX_DAYS = 1_000_000
/** An IANA name is short (`America/Argentina/ComodRivadavia` is 32 characters). */
const MAX_ZONE = 64
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const

const failed = (text: string): ToolAnswer => ({ text, isError: true })

/**
 * The time `at` in `timeZone` (an IANA name; UTC when left out): the local date and time, the
 * offset from UTC, the weekday, and the instant in UTC.
 */
export function now (args: Readonly<Record<string, unknown>>, at: Date = new Date()): ToolAnswer {
  const zone = args.timeZone ?? 'UTC'
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > MAX_ZONE) return failed(`timeZone: expected an IANA time zone name such as Europe/Paris, got ${JSON.stringify(zone)}`)
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'long', timeZoneName: 'longOffset' })
  } catch {
    return failed(`timeZone: ${JSON.stringify(zone)} is not a time zone this clock knows; use an IANA name such as Europe/Paris or America/New_York`)
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]))
  const local = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
  // `GMT+02:00`, or `GMT` for UTC itself
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00'
  // the name as asked (ICU answers some by an older name: Asia/Kolkata as Asia/Calcutta), cased as ICU has it
  const resolved = format.resolvedOptions().timeZone
  const timeZone = resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone
  const utc = at.toISOString()
  return {
    text: `${local} ${offset} (${parts.weekday}) in ${timeZone}; ${utc} in UTC`,
    structured: { utc, timeZone, local, offset, weekday: parts.weekday }
  }
}

/** `date` (YYYY-MM-DD) moved by `days` (negative: back), on the proleptic Gregorian calendar. */
export function addDays (args: Readonly<Record<string, unknown>>): ToolAnswer {
  const { date, days } = args
  const m = typeof date === 'string' ? DATE.exec(date) : null
  if (m === null) return failed(`date: expected a date written YYYY-MM-DD, got ${JSON.stringify(date)}`)
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const start = utcDay(year, month, day)
  if (start === undefined) return failed(`date: ${date as string} is not a day of the calendar`)
  if (typeof days !== 'number' || !Number.isInteger(days) || Math.abs(days) > MAX_DAYS) return failed(`days: expected a whole number from -${MAX_DAYS} to ${MAX_DAYS}, got ${JSON.stringify(days)}`)
  const end = new Date(start + days * DAY_MS)
  const y = end.getUTCFullYear()
  if (y < 0 || y > 9999) return failed(`the answer would be in the year ${y}: dates here run from 0000 to 9999`)
  const result = `${String(y).padStart(4, '0')}-${pad(end.getUTCMonth() + 1)}-${pad(end.getUTCDate())}`
  const weekday = WEEKDAYS[end.getUTCDay()] as string
  return { text: `${result} (${weekday})`, structured: { date: result, weekday } }
}

/** Milliseconds since the epoch at the start of the day, or undefined when there is no such day. */
function utcDay (year: number, month: number, day: number): number | undefined {
  const d = new Date(0)
  // setUTCFullYear, unlike Date.UTC, reads years 0-99 as themselves
  d.setUTCFullYear(year, month - 1, day)
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? d.getTime() : undefined
}

function pad (n: number): string {
  return String(n).padStart(2, '0')
}

/** The tools as the server offers them. Their schemas keep to what a grammar can hold a model to
 * (docs/models.md, "Tool calls and the grammar"): a forced call's arguments then always fit. */
export const CLOCK_TOOLS: readonly Tool[] = [
  {
    name: 'now',
    description: 'The current date and time in a time zone (UTC unless one is given), with its offset from UTC and the weekday.',
    inputSchema: {
      type: 'object',
      properties: { timeZone: { type: 'string', description: 'An IANA time zone name, such as Europe/Paris or America/New_York; UTC when left out' } }
    },
    outputSchema: {
      type: 'object',
      properties: { utc: { type: 'string' }, timeZone: { type: 'string' }, local: { type: 'string' }, offset: { type: 'string' }, weekday: { type: 'string' } },
      required: ['utc', 'timeZone', 'local', 'offset', 'weekday']
    },
    run: (args) => now(args)
  },
  {
    name: 'add_days',
    description: 'The date a number of days after (or, negative, before) a given date.',
    inputSchema: {
      type: 'object',
      properties: {
        date: { type: 'string', format: 'date', description: 'The date to start from, YYYY-MM-DD' },
        days: { type: 'integer', description: 'Days to add; negative to go back' }
      },
      required: ['date', 'days']
    },
    outputSchema: {
      type: 'object',
      properties: { date: { type: 'string' }, weekday: { type: 'string' } },
      required: ['date', 'weekday']
    },
    run: addDays
  }
]
