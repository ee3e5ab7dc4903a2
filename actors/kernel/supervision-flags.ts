import {
  DEFAULT_BACKOFF_FACTOR, DEFAULT_BACKOFF_MAX_MS, DEFAULT_BACKOFF_MIN_MS, DEFAULT_INTENSITY, DEFAULT_PERIOD_MS
} from './constants.ts'
import type { Strategy, SupervisionFlags } from './behavior.ts'

export interface ResolvedFlags {
  readonly strategy: Strategy
  readonly intensity: number
  readonly period: number
  readonly backoffMin: number
  readonly backoffMax: number
  readonly backoffFactor: number
  readonly scope: 'supervisor' | 'child'
}

const STRATEGIES: readonly Strategy[] = ['one-for-one', 'one-for-all', 'rest-for-one']

/** Fills in defaults and rejects nonsense with a message naming the field. */
export function resolveFlags (flags: SupervisionFlags = {}, defaults: Partial<ResolvedFlags> = {}): ResolvedFlags {
  const resolved: ResolvedFlags = {
    strategy: flags.strategy ?? defaults.strategy ?? 'one-for-one',
    intensity: flags.intensity ?? defaults.intensity ?? DEFAULT_INTENSITY,
    period: flags.period ?? defaults.period ?? DEFAULT_PERIOD_MS,
    backoffMin: flags.backoff?.min ?? defaults.backoffMin ?? DEFAULT_BACKOFF_MIN_MS,
    backoffMax: flags.backoff?.max ?? defaults.backoffMax ?? DEFAULT_BACKOFF_MAX_MS,
    backoffFactor: flags.backoff?.factor ?? defaults.backoffFactor ?? DEFAULT_BACKOFF_FACTOR,
    scope: flags.scope ?? defaults.scope ?? 'supervisor'
  }
  if (!STRATEGIES.includes(resolved.strategy)) {
    throw new RangeError(`supervision.strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(resolved.strategy)}`)
  }
  if (!Number.isInteger(resolved.intensity) || resolved.intensity < 0) {
    throw new RangeError(`supervision.intensity must be an integer >= 0, got ${resolved.intensity}`)
  }
  for (const [field, value] of [['period', resolved.period], ['backoff.min', resolved.backoffMin], ['backoff.max', resolved.backoffMax]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`supervision.${field} must be a number of ms >= 0, got ${value}`)
  }
  if (resolved.backoffMax < resolved.backoffMin) {
    throw new RangeError(`supervision.backoff.max (${resolved.backoffMax}) must be >= backoff.min (${resolved.backoffMin})`)
  }
  if (!Number.isFinite(resolved.backoffFactor) || resolved.backoffFactor < 1) {
    throw new RangeError(`supervision.backoff.factor must be a number >= 1, got ${resolved.backoffFactor}`)
  }
  if (resolved.scope !== 'supervisor' && resolved.scope !== 'child') {
    throw new RangeError(`supervision.scope must be 'supervisor' or 'child', got ${JSON.stringify(resolved.scope)}`)
  }
  return resolved
}

/** Delay before the k-th restart (k >= 1) within the current period. */
export function backoffDelay (flags: ResolvedFlags, k: number): number {
  return Math.min(flags.backoffMax, flags.backoffMin * flags.backoffFactor ** Math.max(0, k - 1))
}
