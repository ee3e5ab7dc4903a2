import { expect } from 'chai'
import { ClusterSearch, checkNodeAnswer, checkSearchQuery, checkTouchedAnswer } from '../../../node/search/index.ts'
import type { ClusterSearchOptions, NodeAnswer, SearchIndex, WireHit } from '../../../node/search/index.ts'

const hit = (entity: string, seq: number, score: number): WireHit => ({ entity, seq, author: 'ann', ts: seq, snippet: `post ${seq}`, marks: [[0, 4]], score })

/** Four partitions on three nodes: p0 {a, b}, p1 {b, c}, p2 {c, a}, p3 {b, c}. */
const replicas: Record<number, string[]> = { 0: ['a', 'b'], 1: ['b', 'c'], 2: ['c', 'a'], 3: ['b', 'c'] }

function cluster (answer: (node: string, partitions: number[]) => NodeAnswer | Error, live = new Set(['b', 'c']), local: SearchIndex | undefined = undefined): { search: ClusterSearch, asked: Array<[string, number[]]> } {
  const asked: Array<[string, number[]]> = []
  const opts: ClusterSearchOptions = {
    self: 'a',
    partitions: 4,
    replicasOf: (p) => replicas[p] as string[],
    live: () => live,
    local: () => local,
    ask: async (node, msg) => {
      asked.push([node, msg.partitions])
      const a = answer(node, msg.partitions)
      if (a instanceof Error) throw a
      return a
    }
  }
  return { search: new ClusterSearch(opts), asked }
}

const answerOf = (node: string, hits: WireHit[], complete = true): NodeAnswer => ({ node, hits, complete, semantic: 'not-asked', embedMs: 0 })

describe('ClusterSearch', () => {
  const query = checkSearchQuery({ text: 'post', limit: 3 })

  it('should ask replicas that together hold every partition, and merge their hits by score', async () => {
    const { search, asked } = cluster((node) => answerOf(node, node === 'b' ? [hit('room/x', 1, 3), hit('room/x', 2, 1)] : [hit('room/y', 7, 2), hit('agent/ann', 1, 0.5), hit('room/x', 1, 3)]))
    const result = await search.search(query, { user: 'ann' })
    // a keeps no index here: b covers p0, p1, p3 (three), c takes p2
    expect(asked).to.deep.equal([['b', [0, 1, 3]], ['c', [2]]])
    expect(result.hits.map((h) => `${h.kind}:${h.name}#${h.seq}`)).to.deep.equal(['room:x#1', 'room:y#7', 'room:x#2'])
    expect(result).to.deep.include({ partial: false, missing: [], incomplete: [], failed: [], semantic: 'not-asked' })
  })

  it('should ask another replica for a failed node\'s partitions, and report those nobody answered for', async () => {
    const { search, asked } = cluster((node) => node === 'b' ? new Error('timed out') : answerOf(node, [hit('room/y', 1, 1)], false))
    const result = await search.search(query, { user: null })
    expect(asked.map(([n]) => n)).to.deep.equal(['b', 'c', 'c'])
    expect(asked[2]).to.deep.equal(['c', [1, 3]])
    // p0's replicas are a (no index) and b (failed)
    expect(result).to.deep.include({ partial: true, missing: [0], incomplete: ['c', 'c'] })
    expect(result.failed).to.deep.equal([{ node: 'b', error: 'Error: timed out' }])
    expect(result.hits, 'the same post from two answers counts once').to.have.length(1)
  })

  it('should embed a semantic query once for every node asked, and leave it to them when that fails', async () => {
    const vectors: Array<number[] | undefined> = []
    let fail = false
    const search = new ClusterSearch({
      self: 'a',
      partitions: 4,
      replicasOf: (p) => replicas[p] as string[],
      live: () => new Set(['b', 'c']),
      local: () => undefined,
      ask: async (node, msg) => { vectors.push(msg.vector); return { ...answerOf(node, []), semantic: 'used' } },
      embedder: { dimensions: 2, embed: async () => { if (fail) throw new Error('queue full'); return [Float32Array.from([0.5, 0.25])] } }
    })
    const used = await search.search(checkSearchQuery({ text: 'ship', mode: 'semantic' }), { user: 'ann' })
    expect(vectors).to.deep.equal([[0.5, 0.25], [0.5, 0.25]])
    expect(used.semantic).to.equal('used')
    fail = true
    vectors.length = 0
    await search.search(checkSearchQuery({ text: 'ship', mode: 'hybrid' }), { user: 'ann' })
    expect(vectors).to.deep.equal([undefined, undefined])
  })

  it('should ask another replica for the partitions this node is still catching up on', async () => {
    const asked: Array<[string, number[]]> = []
    const local = { search: async () => ({ hits: [], complete: true, semantic: 'not-asked', embedMs: 0 }) } as unknown as SearchIndex
    const search = new ClusterSearch({
      self: 'a',
      partitions: 4,
      replicasOf: (p) => replicas[p] as string[],
      live: () => new Set(['b', 'c']),
      local: () => local,
      caughtUp: (p) => p !== 0,
      ask: async (node, msg) => { asked.push([node, msg.partitions]); return answerOf(node, []) }
    })
    await search.search(query, { user: 'ann' })
    // p0 (a learner here) goes to b with p1 and p3; p2 stays here
    expect(asked).to.deep.equal([['b', [0, 1, 3]]])
  })

  it('should say which rooms name a user only when every replica of every partition answered from a whole index', async () => {
    const answers: Record<string, unknown> = { a: { node: 'a', rooms: ['x'], complete: true }, b: { rooms: ['y', 'x'], complete: true }, c: { rooms: [], complete: true } }
    const asked: string[] = []
    let live = new Set(['b', 'c'])
    let local: SearchIndex | undefined = { touchedBy: async (users: string[]) => { asked.push(`a:${users.join('+')}`); return { rooms: (answers.a as { rooms: string[] }).rooms, complete: (answers.a as { complete: boolean }).complete } } } as unknown as SearchIndex
    const search = new ClusterSearch({
      self: 'a',
      partitions: 4,
      replicasOf: (p) => replicas[p] as string[],
      live: () => live,
      local: () => local,
      ask: async () => expect.fail('no search here'),
      askTouched: async (node, user) => {
        asked.push(`${node}:${user}`)
        const a = answers[node]
        if (a instanceof Error) throw a
        return a
      }
    })
    expect(await search.roomsTouchedBy('ann')).to.deep.equal({ rooms: ['x', 'y'] })
    expect(asked.sort()).to.deep.equal(["a:ann+ann's agent", 'b:ann', 'c:ann'])
    answers.c = { rooms: ['z'], complete: false }
    expect(await search.roomsTouchedBy('ann')).to.deep.equal({ unknown: "c's index is being rebuilt" })
    answers.c = { rooms: null, complete: true }
    expect(await search.roomsTouchedBy('ann')).to.deep.equal({ unknown: 'c names more than 10000 rooms' })
    answers.c = new Error('timed out')
    expect(await search.roomsTouchedBy('ann')).to.deep.equal({ unknown: 'c failed: Error: timed out' })
    answers.c = { rooms: ['not a room name!'], complete: true }
    expect(await search.roomsTouchedBy('ann')).to.have.property('unknown').that.matches(/c failed: .*not such an answer/)
    answers.c = { rooms: [], complete: true }
    live = new Set(['b'])
    expect(await search.roomsTouchedBy('ann')).to.deep.equal({ unknown: 'c, a replica, is not up' })
    live = new Set(['b', 'c'])
    local = undefined
    expect(await search.roomsTouchedBy('ann')).to.deep.equal({ unknown: 'a, a replica, keeps no search index' })
    expect(() => checkTouchedAnswer({ rooms: Array.from({ length: 10_001 }, (_, i) => `r${i}`), complete: true }, 'b')).to.throw(/not such an answer/)
  })

  it('should refuse an answer that is not one', () => {
    expect(() => checkNodeAnswer({ hits: [{ entity: 'users/x', seq: 1 }], complete: true, semantic: 'used' }, 'b')).to.throw('b answered a search with something that is not a search answer')
    expect(() => checkNodeAnswer({ hits: [hit('room/x', 1, Number.NaN)], complete: true, semantic: 'used' }, 'b')).to.throw()
    expect(checkNodeAnswer({ hits: [hit('room/x', 1, 1)], complete: true, semantic: 'used', embedMs: 2 }, 'b')).to.deep.include({ node: 'b', embedMs: 2 })
  })
})
