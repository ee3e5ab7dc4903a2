import { EXPORT_FORMATS, MAX_TOOL_NAMES_PER_CHANGE, TOOL_NAME_MAX, TOOL_PATTERN } from '../protocols/index.ts'
import type { ExportFormat } from '../protocols/index.ts'
import { UsageError } from './cli-errors.ts'

/** A flag's value as an integer within [min, max], or a UsageError naming the flag. */
export function integer (text: string, flag: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`)
  return n
}

/** A flag's value as a number within [min, max], or a UsageError naming the flag. */
export function decimal (text: string, flag: string, min: number, max: number): number {
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag}: expected a number from ${min} to ${max}, got ${JSON.stringify(text)}`)
  return n
}

/** A repeatable flag's values, each given as one name or a comma-separated list (commander's
 * collector: `--grant a__x --grant b__*,c__y`). */
export function listed (value: string, previous: readonly string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')]
}

const TOOL = new RegExp(TOOL_PATTERN)

/** Tool names as a grant or a switch takes them (`<source>__<tool>` or `<source>__*`), each once,
 * at most MAX_TOOL_NAMES_PER_CHANGE, or a UsageError naming the flag and the first bad one. */
export function toolNames (values: readonly string[], flag: string): string[] {
  const bad = values.find((v) => v.length > TOOL_NAME_MAX || !TOOL.test(v))
  if (bad !== undefined) throw new UsageError(`${flag}: expected tools named <source>__<tool> or <source>__*, got ${JSON.stringify(bad.slice(0, 80))}`)
  const unique = [...new Set(values)]
  if (unique.length > MAX_TOOL_NAMES_PER_CHANGE) throw new UsageError(`${flag}: at most ${MAX_TOOL_NAMES_PER_CHANGE} tools at once, got ${unique.length}`)
  return unique
}

/** One tool by its qualified name (`<source>__<tool>`, no `*`), as `agent ask --tool` forces it, or
 * a UsageError naming the flag. */
export function toolName (value: string, flag: string): string {
  if (value.length > TOOL_NAME_MAX || !TOOL.test(value) || value.endsWith('__*')) throw new UsageError(`${flag}: expected one tool named <source>__<tool>, got ${JSON.stringify(value.slice(0, 80))}`)
  return value
}

/** An export's format as a flag gives it: json, ndjson or md. */
export function exportFormat (value: string, flag = '--format'): ExportFormat {
  if (!(EXPORT_FORMATS as readonly string[]).includes(value)) throw new UsageError(`${flag}: expected one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(value)}`)
  return value as ExportFormat
}
