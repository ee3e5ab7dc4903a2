/**
 * Failures of the node's background services, by service name: a plain counter the metrics
 * adapter reads at scrape time (`plexi_service_failures_total{service}`), so that a service
 * that keeps failing is seen on a dashboard and not only in a log line said once.
 */
export class ServiceFailures {
  readonly #counts = new Map<string, number>()

  /** Counts one failed run of `service`. */
  add (service: string): void {
    this.#counts.set(service, (this.#counts.get(service) ?? 0) + 1)
  }

  /** Failed runs of `service` so far (0 for a service that never failed). */
  of (service: string): number {
    return this.#counts.get(service) ?? 0
  }

  /** Every service that failed at least once, with its count. */
  entries (): Array<[string, number]> {
    return [...this.#counts]
  }
}
