import { SNIPPET_RUN_GAP } from './constants.ts'
import { indexedText } from './index-ops.ts'
import type { RebuildSource } from './index-rebuild.ts'

/** The key of a post in `storedTexts`' answer. */
export function textKey (entity: string, seq: number): string {
  return `${entity}\0${seq}`
}

/**
 * The indexed texts of these posts as this node's store holds them now (the index keeps no text),
 * by `textKey`; none for a post the store has no text of (redacted, trimmed a moment ago). Posts
 * close together in one entity are read with one range of the store (SNIPPET_RUN_GAP seqs apart at
 * most): a page of hits is most often a few runs in a few rooms, and a read each was the bound of a
 * search (20 reads of the store for 20 hits).
 */
export async function storedTexts (store: Pick<RebuildSource, 'storedRecords'>, posts: ReadonlyArray<{ readonly entity: string, readonly seq: number }>): Promise<Map<string, string>> {
  const byEntity = new Map<string, number[]>()
  for (const p of posts) {
    const seqs = byEntity.get(p.entity)
    if (seqs === undefined) byEntity.set(p.entity, [p.seq])
    else seqs.push(p.seq)
  }
  const runs: Array<{ entity: string, from: number, to: number }> = []
  for (const [entity, seqs] of byEntity) {
    seqs.sort((a, b) => a - b)
    let run = { entity, from: seqs[0] as number, to: seqs[0] as number }
    for (const seq of seqs.slice(1)) {
      if (seq - run.to <= SNIPPET_RUN_GAP) run.to = seq
      else { runs.push(run); run = { entity, from: seq, to: seq } }
    }
    runs.push(run)
  }
  const wanted = new Set(posts.map((p) => textKey(p.entity, p.seq)))
  const texts = new Map<string, string>()
  await Promise.all(runs.map(async ({ entity, from, to }) => {
    const room = entity.startsWith('room/')
    // (holes are skipped by the store: a record past `to` may come back, and is not wanted)
    for (const record of await store.storedRecords(entity, from, to - from + 1)) {
      const key = textKey(entity, record.seq)
      if (record.seq <= to && wanted.has(key)) texts.set(key, indexedText(room, record.event))
    }
  }))
  return texts
}
