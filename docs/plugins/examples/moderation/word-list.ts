/**
 * The words moderation refuses, from `words.txt` in its data folder: one word per line, case does
 * not matter, `#` starts a comment. An operator edits the file on each plugins-role member
 * (`<data-dir>/plugins-data/moderation/words.txt`); the next post reads the new list, without a
 * restart. No file: nothing is refused.
 */
import { readFileSync, statSync } from 'node:fs'

/** The list's most bytes: it is read whole whenever it changes, within a post's budget. */
export const MAX_LIST_BYTES = 1024 * 1024

/** The words of a list file's text, lower-cased and normalized as posts are. */
export function parseWords (text: string): Set<string> {
  const words = new Set<string>()
  for (const line of text.split('\n')) {
    const word = normalize(line.replace(/#.*$/, '').trim())
    if (word !== '') words.add(word)
  }
  return words
}

/** The words of a post, in order: runs of letters, digits and apostrophes, lower-cased, in
 * Unicode's compatibility form (so that `ｆｏｏ` is `foo`). */
export function wordsOf (text: string): string[] {
  return normalize(text).split(/[^\p{L}\p{N}']+/u).filter((w) => w !== '')
}

function normalize (text: string): string {
  return text.normalize('NFKC').toLowerCase()
}

export class WordList {
  readonly #path: string
  #signature = ''
  #words: ReadonlySet<string> = new Set()

  constructor (path: string) {
    this.#path = path
  }

  /**
   * The words now: the file is read again when its size, time or inode changed (one stat a post).
   * Throws when it cannot be read (not allowed, too large): the hook then gives no verdict, and
   * the manifest's `beforePost.onFailure` decides.
   */
  words (): ReadonlySet<string> {
    const stat = statSync(this.#path, { bigint: true, throwIfNoEntry: false })
    if (stat === undefined) {
      this.#signature = ''
      this.#words = new Set()
      return this.#words
    }
    const signature = `${stat.ino}:${stat.size}:${stat.mtimeNs}`
    if (signature === this.#signature) return this.#words
    if (stat.size > BigInt(MAX_LIST_BYTES)) throw new Error(`${this.#path} is over ${MAX_LIST_BYTES} bytes`)
    this.#words = parseWords(readFileSync(this.#path, 'utf8'))
    this.#signature = signature
    return this.#words
  }

  /** The first word of `text` on the list, or undefined. */
  find (text: string): string | undefined {
    const words = this.words()
    if (words.size === 0) return undefined
    return wordsOf(text).find((w) => words.has(w))
  }
}
