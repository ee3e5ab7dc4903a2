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
