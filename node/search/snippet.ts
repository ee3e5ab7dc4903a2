import { MAX_SNIPPET_CHARS, SNIPPET_TOKENS } from './constants.ts'

/** A query's word as a snippet marks it: folded as the index folds it, and whether it is a prefix. */
export interface SnippetTerm {
  readonly term: string
  readonly prefix: boolean
}

/** A snippet and the [start, length] of each match in it (UTF-16 units). */
export interface Snippet {
  readonly snippet: string
  readonly marks: Array<[number, number]>
}

/** A word as the index's tokenizer sees it (unicode61 with diacritics removed): letters and
 * numbers, case and accents folded. */
const TOKEN = /[\p{L}\p{N}]+/gu

export function fold (word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

/** The terms of a query's text as its match expression takes them (search-query.ts
 * matchExpression: words, a trailing `*` a prefix), split into the index's tokens. */
export function snippetTerms (text: string): SnippetTerm[] {
  const terms: SnippetTerm[] = []
  for (const m of text.matchAll(/([\p{L}\p{N}_]+)(\*?)/gu)) {
    const parts = [...(m[1] as string).matchAll(TOKEN)].map((t) => fold(t[0]))
    parts.forEach((term, i) => { terms.push({ term, prefix: m[2] === '*' && i === parts.length - 1 }) })
  }
  return terms
}

/**
 * The snippet of a hit, made from the post's text as the store holds it (the index keeps no text):
 * the window of `tokens` words holding the most of the query's terms (the most distinct ones first,
 * then the most matches, then the earliest), '…' where it cuts the text, each matching word marked;
 * at most `maxChars`. No terms (a semantic hit): the text's start, unmarked.
 */
export function makeSnippet (text: string, terms: readonly SnippetTerm[], tokens = SNIPPET_TOKENS, maxChars = MAX_SNIPPET_CHARS): Snippet {
  if (terms.length === 0) return { snippet: text.slice(0, maxChars), marks: [] }
  const words: Array<{ start: number, end: number, match: number }> = []
  for (const m of text.matchAll(TOKEN)) {
    const f = fold(m[0])
    const match = terms.findIndex((t) => t.prefix ? f.startsWith(t.term) : f === t.term)
    words.push({ start: m.index, end: m.index + m[0].length, match })
  }
  if (words.length === 0) return { snippet: text.slice(0, maxChars), marks: [] }
  let best = 0
  let bestScore = -1
  for (let s = 0; s === 0 || s + tokens <= words.length; s++) {
    const seen = new Set<string>()
    let hits = 0
    for (let i = s; i < Math.min(words.length, s + tokens); i++) {
      const m = (words[i] as { match: number }).match
      if (m >= 0) { seen.add((terms[m] as SnippetTerm).term); hits++ }
    }
    const score = seen.size * 1_000 + hits
    if (score > bestScore) { best = s; bestScore = score }
  }
  const last = Math.min(words.length, best + tokens) - 1
  const from = best === 0 ? 0 : (words[best] as { start: number }).start
  const to = last === words.length - 1 ? text.length : (words[last] as { end: number }).end
  const lead = best === 0 ? '' : '…'
  let snippet = lead + text.slice(from, to) + (last < words.length - 1 ? '…' : '')
  let marks: Array<[number, number]> = []
  for (let i = best; i <= last; i++) {
    const w = words[i] as { start: number, end: number, match: number }
    if (w.match >= 0) marks.push([lead.length + w.start - from, w.end - w.start])
  }
  if (snippet.length > maxChars) {
    snippet = snippet.slice(0, maxChars)
    marks = marks.filter(([s, l]) => s + l <= maxChars)
  }
  return { snippet, marks }
}
