import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'

/**
 * The prom-client side of a plain stats object: metrics whose values are numbers kept elsewhere
 * (a subsystem's `stats`, a getter), read at scrape time. The subsystems only count; the hot paths
 * pay nothing for metrics, and no subsystem imports prom-client.
 */

/** Label values of one series. */
export type Labels = Readonly<Record<string, string>>

/** A counter that follows a growing number kept elsewhere: at each scrape it adds what the number
 * grew by since the last (a number that went down, as after a reset, is followed from there). */
export function scrapedCounter (registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0
  const counter: Counter = new Counter({
    name,
    help,
    registers: [registry],
    collect () {
      const now = read()
      if (now > last) counter.inc(now - last)
      last = now
    }
  })
}

/** A labelled counter that follows growing numbers kept elsewhere, one per series: `read` gives
 * each series' labels and number now (in the order its series first appear); every series read is
 * exported, at zero too, so an alert on it has something to watch. */
export function scrapedLabelledCounter (registry: Registry, name: string, help: string, labelNames: readonly string[],
  read: () => Iterable<readonly [Labels, number]>): void {
  const seen = new Map<string, number>()
  const counter: Counter<string> = new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect () {
      for (const [labels, now] of read()) {
        const id = JSON.stringify(labels)
        counter.inc(labels, Math.max(0, now - (seen.get(id) ?? 0)))
        seen.set(id, now)
      }
    }
  })
}

/** A gauge whose value is read at scrape time. */
export function scrapedGauge (registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers: [registry], collect () { this.set(read()) } })
}

/** A labelled gauge whose series are read at scrape time: those `read` no longer gives are
 * dropped. */
export function scrapedLabelledGauge (registry: Registry, name: string, help: string, labelNames: readonly string[],
  read: () => Iterable<readonly [Labels, number]>): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect () {
      this.reset()
      for (const [labels, value] of read()) this.set(labels, value)
    }
  })
}
