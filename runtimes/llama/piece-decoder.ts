/** Turns tokens into text (node-llama-cpp's `model.detokenize(tokens, false, lastTokens)`). */
export type Detokenize<T> = (tokens: readonly T[], lastTokens: readonly T[]) => string

/** U+FFFD: what llama.cpp's detokenizer gives for bytes that are not (yet) a whole character. */
const REPLACEMENT = '\uFFFD'
/** A UTF-8 character is at most 4 bytes and every token adds at least one, so after 4 held tokens
 * a trailing U+FFFD is a real invalid byte, not a character still being spelled out. */
const MAX_HELD_TOKENS = 4
/** node-llama-cpp looks at the last 3 tokens for spacing context; a few more cost nothing. */
const CONTEXT_TOKENS = 4

/**
 * Decodes generated tokens into text pieces as they come. One token can be part of a character
 * (byte-level vocabularies spell "€" as 3 tokens), and detokenizing it alone gives U+FFFD; such
 * tokens are held until the character is complete, so no piece ever splits a character.
 */
export class PieceDecoder<T> {
  readonly #detokenize: Detokenize<T>
  #held: T[] = []
  #recent: T[] = []

  constructor (detokenize: Detokenize<T>) {
    this.#detokenize = detokenize
  }

  /** The text this token completes: '' while it is held. */
  push (token: T): string {
    this.#held.push(token)
    const text = this.#detokenize(this.#held, this.#recent)
    if (text.endsWith(REPLACEMENT) && this.#held.length < MAX_HELD_TOKENS) return ''
    this.#release()
    return text
  }

  /** The text of the tokens still held (at the end of a generation, whatever they are). */
  flush (): string {
    if (this.#held.length === 0) return ''
    const text = this.#detokenize(this.#held, this.#recent)
    this.#release()
    return text
  }

  #release (): void {
    this.#recent = [...this.#recent, ...this.#held].slice(-CONTEXT_TOKENS)
    this.#held = []
  }
}
