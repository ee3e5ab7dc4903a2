import { RRF_K } from './constants.ts'

/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): each id scores Σ 1 / (k + rank) over
 * the lists it is in (rank from 1). Chosen over a weighted sum of scores because BM25's scores are
 * unbounded and depend on each node's corpus while cosine similarities live in [-1, 1]: a weighted
 * sum would need a normalisation that shifts with every query, ranks need none. An id in both
 * lists outranks one at the same place in only one. Returns ids with their fused score, best first
 * (ties: the text list's order first, then the vector list's).
 */
export function reciprocalRankFusion (lists: ReadonlyArray<readonly number[]>, k = RRF_K): Array<{ id: number, score: number }> {
  const scores = new Map<number, number>()
  const firstSeen = new Map<number, number>()
  let order = 0
  for (const list of lists) {
    list.forEach((id, i) => {
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1))
      if (!firstSeen.has(id)) firstSeen.set(id, order++)
    })
  }
  return [...scores].map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (firstSeen.get(a.id) as number) - (firstSeen.get(b.id) as number))
}
