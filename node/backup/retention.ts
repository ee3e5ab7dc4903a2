/** How many backups to keep (each 0: that rule keeps none; all 0: every backup is kept). */
export interface RetentionPolicy {
  /** The newest N. */
  readonly keepLast: number
  /** The newest of each of the last N days that have a backup (UTC days). */
  readonly keepDaily: number
  /** The newest of each of the last N ISO weeks that have a backup (UTC). */
  readonly keepWeekly: number
}

/**
 * The backups a policy keeps, as restic's `forget` counts them: a backup is kept when any rule
 * keeps it; a day or week counts only when it has a backup. With every rule 0 nothing is pruned.
 */
export function retained (backups: ReadonlyArray<{ readonly id: string, readonly startedAt: number }>, policy: RetentionPolicy): Set<string> {
  const newestFirst = [...backups].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1))
  if (policy.keepLast === 0 && policy.keepDaily === 0 && policy.keepWeekly === 0) return new Set(newestFirst.map((b) => b.id))
  const keep = new Set(newestFirst.slice(0, policy.keepLast).map((b) => b.id))
  const byPeriod = (count: number, periodOf: (t: number) => string): void => {
    const seen = new Set<string>()
    for (const b of newestFirst) {
      if (seen.size >= count) break
      const period = periodOf(b.startedAt)
      if (seen.has(period)) continue
      seen.add(period)
      keep.add(b.id)
    }
  }
  byPeriod(policy.keepDaily, (t) => new Date(t).toISOString().slice(0, 10))
  byPeriod(policy.keepWeekly, isoWeek)
  return keep
}

/** "YYYY-Www" of a time, UTC (the ISO week: Monday first, week 1 holds the year's first Thursday). */
export function isoWeek (t: number): string {
  const d = new Date(t)
  const day = (d.getUTCDay() + 6) % 7
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3)
  const year = new Date(thursday).getUTCFullYear()
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000))
  return `${year}-W${String(week).padStart(2, '0')}`
}

/**
 * Removes, one at a time, the done backups of the key `fingerprint` that `policy` does not keep
 * (backups of other keys and those not done are not counted, nor touched); resolves with their ids.
 * No policy: nothing is removed.
 */
export async function applyRetention (
  backups: ReadonlyArray<{ readonly id: string, readonly startedAt: number, readonly state: string, readonly keyFingerprint: string }>,
  fingerprint: string,
  policy: RetentionPolicy | undefined,
  remove: (id: string) => Promise<unknown>
): Promise<string[]> {
  if (policy === undefined) return []
  const mine = backups.filter((b) => b.state === 'done' && b.keyFingerprint === fingerprint)
  const keep = retained(mine, policy)
  const gone: string[] = []
  for (const b of mine) {
    if (keep.has(b.id)) continue
    await remove(b.id)
    gone.push(b.id)
  }
  return gone
}
