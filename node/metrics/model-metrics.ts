import type { Registry } from 'prom-client'
import { scrapedLabelledGauge } from './scraped-metric.ts'

/** What modelMetrics reads of the model manager (runtimes ModelManager). */
export interface ModelStatsView {
  queueDepths (): Iterable<readonly [string, number]>
  loaded (): Iterable<{ readonly model: string, readonly memoryBytes: number }>
}

/** Queue depth and loaded models, read from the model manager at scrape time. */
export function modelMetrics (registry: Registry, manager: ModelStatsView): void {
  scrapedLabelledGauge(registry, 'plexi_inference_queue_depth', 'Requests waiting for a free context, by model', ['model'],
    () => [...manager.queueDepths()].map(([model, n]) => [{ model }, n] as const))
  scrapedLabelledGauge(registry, 'plexi_models_loaded', 'Models loaded on this node (1 per model), with their estimated memory in plexi_model_memory_bytes', ['model'],
    () => [...manager.loaded()].map((m) => [{ model: m.model }, 1] as const))
  scrapedLabelledGauge(registry, 'plexi_model_memory_bytes', 'Estimated memory held by each loaded model', ['model'],
    () => [...manager.loaded()].map((m) => [{ model: m.model }, m.memoryBytes] as const))
}
