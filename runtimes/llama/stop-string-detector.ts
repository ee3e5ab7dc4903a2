/**
 * Ends an answer at the chat template's stop strings (a model that does not emit its end-of-turn
 * token runs on into "\n\n### Human:" and writes the user's next turn itself). Text is held back
 * only while it could still be the start of a stop string; everything else passes at once, so an
 * answer is never delayed by more than the longest stop string's length.
 */
export class StopStringDetector {
  readonly #stops: readonly string[]
  #held = ''

  constructor (stops: readonly string[]) {
    this.#stops = [...new Set(stops.filter((stop) => stop.length > 0))]
  }

  get active (): boolean {
    return this.#stops.length > 0
  }

  /**
   * Takes the next piece of text. Returns the text that may be shown now and whether a stop
   * string was reached (then the text is everything before it, `stop` is the string, the first
   * given of those found at the same place, and the rest is dropped).
   */
  push (piece: string): { readonly text: string, readonly stopped: boolean, readonly stop?: string } {
    if (this.#stops.length === 0) return { text: piece, stopped: false }
    const text = this.#held + piece
    let first = -1
    let found = ''
    for (const stop of this.#stops) {
      const at = text.indexOf(stop)
      if (at >= 0 && (first < 0 || at < first)) {
        first = at
        found = stop
      }
    }
    if (first >= 0) {
      this.#held = ''
      return { text: text.slice(0, first), stopped: true, stop: found }
    }
    const keep = this.#heldSuffix(text)
    this.#held = text.slice(text.length - keep)
    return { text: text.slice(0, text.length - keep), stopped: false }
  }

  /** The text held back at the end of the answer (it was not a stop string after all). */
  flush (): string {
    const text = this.#held
    this.#held = ''
    return text
  }

  /** Length of the longest end of `text` that begins some stop string. */
  #heldSuffix (text: string): number {
    let longest = 0
    for (const stop of this.#stops) {
      for (let n = Math.min(stop.length - 1, text.length); n > longest; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          longest = n
          break
        }
      }
    }
    return longest
  }
}
