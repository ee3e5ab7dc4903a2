import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ActorSystem } from '../../../actors/index.ts'
import { SEARCH_PATH, SearchIndex, checkSearchActorMsg, checkTouchedMsg, spawnSearchActor } from '../../../node/search/index.ts'
import type { NodeAnswer, SearchActorMsg } from '../../../node/search/index.ts'

describe('searchActor: /search on every node', () => {
  let system: ActorSystem
  let dir: string
  let index: SearchIndex | undefined
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'plexi-search-actor-')) })
  afterEach(async () => {
    await system.terminate()
    await index?.close()
    index = undefined
    rmSync(dir, { recursive: true, force: true })
  })
  const ask = async (msg: object): Promise<NodeAnswer> => await system.actorAt<SearchActorMsg>({ node: 'n1', path: SEARCH_PATH }).ask<NodeAnswer>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })

  it('should answer its index\'s part of a search, applying what the viewer may see', async () => {
    const records = new Map([['room/a', [{ seq: 1, event: { type: 'message-posted', user: 'ann', text: 'quarterly numbers', ts: 1 } }]], ['agent/bob', [{ seq: 1, event: { type: 'user-asked', requestId: 'r', text: 'quarterly numbers for bob', ts: 2 } }]]])
    index = await SearchIndex.open({
      dir,
      storage: {
        partitions: 2,
        watch: () => () => undefined,
        entitiesOfPartition: async (p, after) => p === 0 && after === '' ? [...records.keys()] : [],
        storedRecords: async (e, from) => from === 1 ? records.get(e) ?? [] : []
      }
    })
    await index.settled()
    system = new ActorSystem({ node: 'n1' })
    const open = index
    spawnSearchActor(system, 2, () => open)
    const answer = await ask({ type: 'search', query: { text: 'quarterly' }, viewer: { user: 'ann' }, partitions: [0] })
    expect(answer.hits.map((h) => h.entity)).to.deep.equal(['room/a'])
    expect(answer).to.include({ node: 'n1', complete: true })
    expect((await ask({ type: 'search', query: { text: 'quarterly' }, viewer: { user: 'bob' }, partitions: [0, 1] })).hits).to.have.length(2)
    expect((await ask({ type: 'search', query: { text: 'quarterly' }, viewer: { user: 'bob' }, partitions: [1] })).hits).to.have.length(0)
    // an erasure's question: the rooms whose records name a user or their agent
    expect(await ask({ type: 'touched', user: 'ann' })).to.deep.equal({ node: 'n1', rooms: ['a'], complete: true })
    expect(await ask({ type: 'touched', user: 'bob' })).to.deep.equal({ node: 'n1', rooms: [], complete: true })
    await ask({ type: 'touched', user: "ann's agent" }).then(() => expect.fail('answered'), (err: Error) => { expect(err.message).to.match(/touched frame: user: expected a user name/) })
    expect(() => checkTouchedMsg({ type: 'touched', user: 'ann' })).to.throw(/replyTo/)
  })

  it('should refuse a frame that is not a search, and say when it keeps no index', async () => {
    system = new ActorSystem({ node: 'n1' })
    spawnSearchActor(system, 2, () => undefined)
    await ask({ type: 'search', query: { text: 'x' }, viewer: { user: 'ann' }, partitions: [0] }).then(() => expect.fail('answered'), (err: Error) => { expect(err.name).to.equal('SearchUnavailableError') })
    await ask({ type: 'search', query: { text: 'x' }, viewer: { user: 'ann' }, partitions: [2] }).then(() => expect.fail('answered'), (err: Error) => { expect(err.message).to.match(/partitions: expected 1-2 partitions from 0 to 1/) })
    const frame = { type: 'search', query: { text: 'x' }, viewer: { user: 'ann' }, partitions: [0], replyTo: { askId: 'a', node: 'n2' } }
    expect(() => checkSearchActorMsg({ ...frame, viewer: { user: 'Robert; drop' } }, 2)).to.throw(/search viewer/)
    expect(() => checkSearchActorMsg({ ...frame, vector: [1, Number.NaN] }, 2)).to.throw(/vector: expected/)
    expect(() => checkSearchActorMsg({ ...frame, query: { text: '' } }, 2)).to.throw(/search text/)
    expect(checkSearchActorMsg({ ...frame, vector: [0.5] }, 2).vector).to.deep.equal([0.5])
  })
})
