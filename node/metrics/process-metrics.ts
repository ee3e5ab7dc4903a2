import { readFileSync } from 'node:fs'
import type { Registry } from 'prom-client'
import { scrapedGauge } from './scraped-metric.ts'

/** The kernel's high-water mark of this process's resident memory (bytes), where it says one
 * (Linux's /proc/self/status, VmHWM); undefined elsewhere. */
export function residentPeakBytes (): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

/** What the default process metrics lack: the peak resident memory since the start (beside
 * plexi_process_resident_memory_bytes, which is now), on systems that keep one. */
export function processMetrics (registry: Registry): void {
  if (residentPeakBytes() === undefined) return
  scrapedGauge(registry, 'plexi_process_resident_memory_peak_bytes', 'Peak resident memory of the process since it started (bytes; the kernel\'s high-water mark)', () => residentPeakBytes() ?? 0)
}
