/** One benchmark result beside its baseline, measured in the same run. */
export interface Figure {
  readonly name: string
  readonly unit: string
  readonly value: number
  readonly baseline_name: string
  readonly baseline: number
  /** value / baseline (for rates: higher is better; for latencies the figure says so in its unit). */
  readonly ratio: number
  /** What the goal is, if the issue set one (e.g. ">= 0.5"). */
  readonly goal?: string
}

export interface Bench {
  readonly name: string
  readonly description: string
  run (log: (line: string) => void): Promise<Figure[]>
}

/**
 * Runs `ours` and `baseline` alternately for `rounds` rounds (so both see the same machine load)
 * and returns the median rate of each. The first `warmup` rounds of each side are run and not
 * counted (the JIT compiles the code they run: a running node's code is warm).
 */
export async function interleaved (rounds: number, ours: () => Promise<number>, baseline: () => Promise<number>, warmup = 0):
Promise<{ ours: number, baseline: number }> {
  for (let i = 0; i < warmup; i++) {
    await baseline()
    await ours()
  }
  const a: number[] = []
  const b: number[] = []
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      b.push(await baseline())
      a.push(await ours())
    } else {
      a.push(await ours())
      b.push(await baseline())
    }
  }
  return { ours: median(a), baseline: median(b) }
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** The p-th percentile (0-100) of the samples, nearest rank. */
export function percentile (samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/** Operations per second of `ops` operations that took `ms`. */
export function rate (ops: number, ms: number): number {
  return ops / (ms / 1000)
}

export function figure (name: string, unit: string, value: number, baselineName: string, baseline: number, goal?: string): Figure {
  return {
    name,
    unit,
    value: round(value),
    baseline_name: baselineName,
    baseline: round(baseline),
    // a baseline of 0 (a count that should stay 0) has no ratio
    ratio: baseline === 0 ? Number.NaN : Math.round((value / baseline) * 1000) / 1000,
    ...(goal !== undefined && { goal })
  }
}

function round (n: number): number {
  if (Math.abs(n) >= 100) return Math.round(n)
  // below 1, three significant digits: a baseline of 0.87 µs must not print as 0 ms
  if (Math.abs(n) < 1 && n !== 0) return Number(n.toPrecision(3))
  return Math.round(n * 100) / 100
}

/** Collects a bench's figures, logging each as it is measured (long runs show progress). */
export function collector (log: (line: string) => void): { figures: Figure[], add: (f: Figure) => void } {
  const figures: Figure[] = []
  return {
    figures,
    add: (f) => {
      figures.push(f)
      log(`  ${f.name}: ${f.value} ${f.unit} (baseline ${f.baseline}, ratio ${f.ratio})`)
    }
  }
}

export function table (figures: readonly Figure[]): string {
  const rows = [['figure', 'ours', 'baseline', '', 'ratio', 'goal'],
    ...figures.map((f) => [f.name, `${fmt(f.value)} ${f.unit}`, `${fmt(f.baseline)} ${f.unit}`, f.baseline_name, Number.isNaN(f.ratio) ? '—' : `${f.ratio.toFixed(2)}×`, f.goal ?? ''])]
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows.map((r, ri) => {
    const line = r.map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')
    return ri === 0 ? `${line}\n${'-'.repeat(line.length)}` : line
  }).join('\n')
}

function fmt (n: number): string {
  // below 1, three significant digits (round keeps them): 0.000871 ms is not 0 ms
  return Math.abs(n) < 1 && n !== 0 ? n.toLocaleString('en-US', { maximumSignificantDigits: 3 }) : n.toLocaleString('en-US', { maximumFractionDigits: 2 })
}

/** A positive number from the environment (a bench's knob), or `fallback` when unset; `integer`
 * refuses fractions. Throws, naming the variable, on anything else. */
export function envNumber (name: string, fallback: number, opts: { integer?: boolean } = {}): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!(opts.integer === true ? Number.isInteger(n) : Number.isFinite(n)) || n <= 0) throw new Error(`${name}: expected a positive ${opts.integer === true ? 'integer' : 'number'}, got ${raw}`)
  return n
}
