import { expect } from 'chai'
import { SNIPPET_RUN_GAP } from '../../../node/search/constants.ts'
import { storedTexts, textKey } from '../../../node/search/stored-texts.ts'

describe('storedTexts', () => {
  // a store's records as LevelReplicaStorage.storedRecords answers them: from `from` on, holes
  // skipped, at most `limit`
  const store = (records: Record<string, Array<{ seq: number, event: unknown }>>) => {
    const reads: Array<[string, number, number]> = []
    return {
      reads,
      storedRecords: async (entity: string, from: number, limit: number) => {
        reads.push([entity, from, limit])
        return (records[entity] ?? []).filter((r) => r.seq >= from).slice(0, limit).map((r) => ({ ...r, epoch: 1 }))
      }
    }
  }
  const post = (seq: number, text: string) => ({ seq, event: { type: 'post', user: 'u', text } })

  it('should read the posts close together in one entity with one range, and those far apart with one each', async () => {
    const s = store({
      'room/a': [post(1, 'one'), post(2, 'two'), post(4, 'four'), post(4 + SNIPPET_RUN_GAP, 'near'), post(100, 'far')],
      'room/b': [post(7, 'seven')]
    })
    const texts = await storedTexts(s, [{ entity: 'room/a', seq: 4 }, { entity: 'room/b', seq: 7 }, { entity: 'room/a', seq: 1 }, { entity: 'room/a', seq: 100 }, { entity: 'room/a', seq: 4 + SNIPPET_RUN_GAP }])
    expect(Object.fromEntries(texts)).to.deep.equal({
      [textKey('room/a', 1)]: 'one', [textKey('room/a', 4)]: 'four', [textKey('room/a', 4 + SNIPPET_RUN_GAP)]: 'near', [textKey('room/a', 100)]: 'far', [textKey('room/b', 7)]: 'seven'
    })
    expect(s.reads.sort()).to.deep.equal([['room/a', 1, 4 + SNIPPET_RUN_GAP], ['room/a', 100, 1], ['room/b', 7, 1]])
  })

  it('should give no text for a post the store no longer holds, a redacted one, or a hole, and none past the range read', async () => {
    const s = store({ 'room/a': [post(1, 'one'), { seq: 2, event: { type: 'post', user: 'u', text: 'secret', redacted: { by: 'admin' } } }, post(9, 'nine')] })
    // seq 3 is a hole: the store skips it and answers seq 9 in its place, which was not asked
    const texts = await storedTexts(s, [{ entity: 'room/a', seq: 1 }, { entity: 'room/a', seq: 2 }, { entity: 'room/a', seq: 3 }, { entity: 'room/gone', seq: 5 }])
    expect(Object.fromEntries(texts)).to.deep.equal({ [textKey('room/a', 1)]: 'one', [textKey('room/a', 2)]: '' })
    expect(await storedTexts(s, [])).to.deep.equal(new Map())
  })
})
