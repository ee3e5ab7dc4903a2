import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOM } from '../../../actors/index.ts'
import { SEARCH_PATH, checkSearchQuery } from '../../../node/search/index.ts'
import type { NodeAnswer, SearchActorMsg } from '../../../node/search/index.ts'
import { scrape } from '../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('search parts', function () {
  this.timeout(60_000)
  let node: StartedParts | undefined
  afterEach(async () => {
    await node?.stop()
    node = undefined
  })

  it('should index what rooms post on a storage node, answer searches and /search, and export plexi_search_*', async () => {
    node = await startPartsUpTo('search')
    const c = node.c
    const index = c.get('searchIndex')
    expect(index).to.not.equal(undefined)
    // a new node: its index's thread (and the file) start with the first post
    expect(existsSync(join(c.get('config').dataDir, 'search.sqlite'))).to.equal(false)
    await c.get('system').entity(ROOM, 'ops').ask((replyTo) => ({ type: 'post', user: 'ann', text: 'the migration runs tonight', replyTo }))
    await index?.settled()
    expect(existsSync(join(c.get('config').dataDir, 'search.sqlite'))).to.equal(true)
    const result = await c.get('search').search(checkSearchQuery({ text: 'migration' }), { user: 'bob' })
    expect(result.hits.map((h) => [h.kind, h.name, h.author])).to.deep.equal([['room', 'ops', 'ann']])
    expect(result).to.include({ partial: false })
    const system = c.get('system')
    const part = await system.actorAt<SearchActorMsg>({ node: system.node, path: SEARCH_PATH })
      .ask<NodeAnswer>((replyTo) => ({ type: 'search', query: checkSearchQuery({ text: 'tonight' }), viewer: { user: null }, partitions: [...Array(c.get('journal').partitions).keys()], replyTo }))
    expect(part.hits).to.have.length(1)
    const text = await scrape(c.get('metrics').registry)
    expect(text).to.match(/^plexi_search_queries_total 1$/m)
    expect(text).to.match(/^plexi_search_index\{what="rows"\} 1$/m)
    expect(text).to.match(/^plexi_search_complete 1$/m)
  })

  it('should drop a post whose seq is removed from the replica store, and take the one written in its place', async () => {
    node = await startPartsUpTo('search')
    const c = node.c
    const room = c.get('system').entity(ROOM, 'cut')
    await room.ask((replyTo) => ({ type: 'post', user: 'ann', text: 'first walrus', replyTo }))
    await room.ask((replyTo) => ({ type: 'post', user: 'ann', text: 'second walrus', replyTo }))
    const index = c.get('searchIndex')
    await index?.settled()
    const walrus = async (): Promise<number[]> => (await c.get('search').search(checkSearchQuery({ text: 'walrus' }), { user: null })).hits.map((h) => h.seq).sort()
    const before = await walrus()
    expect(before).to.have.length(2)
    const last = Math.max(...before)
    // a truncation, as a new owner's recovery writes one: the last post's seq goes, another event takes it
    const replicas = c.get('replicas')
    const state = await replicas.load('room/cut')
    if (state === undefined) throw new Error('no replica state of room/cut')
    await replicas.write('room/cut', state.summary.head, { state, removeFrom: last })
    await index?.settled()
    expect(await walrus()).to.deep.equal([last - 1])
    await replicas.write('room/cut', last - 1, { state, records: [{ seq: last, epoch: state.summary.headEpoch, event: { type: 'message-posted', user: 'bob', text: 'a walrus in its place', ts: 2 } }] })
    await index?.settled()
    const hits = (await c.get('search').search(checkSearchQuery({ text: 'walrus' }), { user: null })).hits
    expect(hits.map((h) => [h.seq, h.author])).to.deep.include([last, 'bob'])
  })

  it('should embed posts and queries with the node\'s own llama.cpp model where search-embedding-model names one', async () => {
    node = await startPartsUpTo('search', { flags: { role: 'chat,storage,ai', 'search-embedding-model': 'plexi-tiny-f16' } })
    const c = node.c
    expect(c.get('searchBindings').embedder?.dimensions).to.equal(c.get('models').get('plexi-tiny-f16')?.facts?.embeddingLength)
    await c.get('system').entity(ROOM, 'sem').ask((replyTo) => ({ type: 'post', user: 'ann', text: 'a heron by the pond', replyTo }))
    await c.get('searchIndex')?.settled()
    expect((await c.get('searchIndex')?.size())?.vectors).to.equal(1)
    // the generated model's vectors are noise: the post is the only one, so it is the nearest
    const answer = await c.get('search').search(checkSearchQuery({ text: 'a bird near water', mode: 'semantic' }), { user: 'bob' })
    expect(answer.semantic).to.equal('used')
    expect(answer.embedMs).to.be.greaterThan(0)
    expect(answer.hits.map((h) => h.name)).to.deep.equal(['sem'])
  })

  it('should answer text only, and say why in its log, where search-embedding-model names no model it has', async () => {
    node = await startPartsUpTo('search', { flags: { 'search-embedding-model': 'nomic-embed-text' } })
    expect(node.c.get('searchBindings').embedder).to.equal(undefined)
    expect(node.lines.some((l) => /search-embedding-model nomic-embed-text is not a ready llama.cpp model of this node/.test(l.msg))).to.equal(true)
    const answer = await node.c.get('search').search(checkSearchQuery({ text: 'heron', mode: 'semantic' }), { user: 'bob' })
    expect(answer.semantic).to.equal('unavailable')
  })

  it('should keep no index with search off, and say so when asked', async () => {
    node = await startPartsUpTo('search', { flags: { search: false } })
    expect(node.c.get('searchIndex')).to.equal(undefined)
    const result = await node.c.get('search').search(checkSearchQuery({ text: 'anything' }), { user: 'ann' })
    expect(result.partial).to.equal(true)
    expect(result.missing).to.have.length(node.c.get('journal').partitions)
  })
})
