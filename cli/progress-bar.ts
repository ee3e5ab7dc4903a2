import { SingleBar } from 'cli-progress'
import type { CliIo } from './cli-io.ts'

export interface ProgressBarOptions {
  /** Hide the cursor while the bar shows: only for a caller that handles Ctrl-C itself and stops
   * the bar then (otherwise Ctrl-C would leave the terminal without a cursor). @default false */
  readonly hideCursor?: boolean
}

/**
 * The progress bar of long CLI commands, on stderr (a terminal; callers print plain lines
 * otherwise): `LABEL [█████░░░░░] COUNT | MESSAGE`. The line goes when the bar stops: the outcome
 * is printed instead.
 */
export class ProgressBar {
  readonly #bar: SingleBar
  readonly #label: string
  #started = false

  constructor (io: CliIo, label: string, opts: ProgressBarOptions = {}) {
    this.#label = label
    this.#bar = new SingleBar({
      stream: io.stderr as NodeJS.WriteStream,
      format: '{label} [{bar}] {count} | {message}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: opts.hideCursor === true,
      clearOnComplete: true,
      // Ctrl-C is the caller's (cli-progress' own handler would keep the process alive)
      gracefulExit: false,
      barsize: 30
    })
  }

  /** `done` of `total` (a total of 0, not known yet, shows an empty bar); `count` is how the
   * numbers read (`3/10 partitions`). */
  update (done: number, total: number, count: string, message: string): void {
    const bound = Math.max(1, total)
    const value = total <= 0 ? 0 : Math.min(Math.max(0, done), bound)
    const payload = { label: this.#label, count, message }
    if (!this.#started) {
      this.#bar.start(bound, value, payload)
      this.#started = true
      return
    }
    this.#bar.setTotal(bound)
    this.#bar.update(value, payload)
  }

  stop (): void {
    if (this.#started) this.#bar.stop()
    this.#started = false
  }
}
