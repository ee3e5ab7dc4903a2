import { expect } from 'chai'
import { InvalidRequestError, RateLimitedError } from '../../../protocols/index.ts'
import { RateLimiter } from '../../../node/limits/index.ts'
import { UnknownRoomError, mcpBackend } from '../../../node/mcp-server/index.ts'
import type { McpBackend } from '../../../node/mcp-server/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'
import { MCP_NODE_FLAGS } from '../../helpers/mcp-node.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('mcpBackend (a real node\'s rooms and agents)', function () {
  this.timeout(60_000)
  let node: StartedParts
  let backend: McpBackend
  let posted = 0

  before(async () => {
    node = await startPartsUpTo('entities', { flags: MCP_NODE_FLAGS })
    backend = mcpBackend({ system: node.c.get('system'), asker: node.c.get('asker'), limiter: new RateLimiter({ rate: 1000, burst: 1000 }), maxMessageBytes: 64, onPosted: () => { posted++ } })
  })
  after(async () => { await node?.stop() })

  it('should post as the user and read the room back: its last messages, or the ones after a seq, with where it ends', async () => {
    for (let i = 1; i <= 5; i++) await backend.post('ann', 'read-room', `m${i}`)
    expect(posted).to.be.at.least(5)
    const last = await backend.history('read-room', { limit: 2 })
    expect(last.lastSeq).to.equal(5)
    expect(last.messages.map((m) => [m.seq, m.user, m.text, m.kind])).to.deep.equal([[4, 'ann', 'm4', 'message'], [5, 'ann', 'm5', 'message']])
    const after = await backend.history('read-room', { after: 1, limit: 2 })
    expect(after.messages.map((m) => m.text)).to.deep.equal(['m2', 'm3'])
    expect((await backend.history('read-room', { after: 5, limit: 10 })).messages).to.deep.equal([])
    expect((await backend.rooms()).map((r) => r.name)).to.include('read-room')
  })

  it('should store a post retried with the same client id once, answering the first one\'s ack, and a post without one each time', async () => {
    const first = await backend.post('ann', 'retry-room', 'hello', 'c-1')
    const again = await backend.post('ann', 'retry-room', 'hello', 'c-1')
    expect(again).to.deep.equal(first)
    // another user's id is their own
    const bobs = await backend.post('bob', 'retry-room', 'hello', 'c-1')
    expect(bobs.seq).to.equal(first.seq + 1)
    await backend.post('ann', 'retry-room', 'same')
    await backend.post('ann', 'retry-room', 'same')
    const { messages } = await backend.history('retry-room', { limit: 10 })
    expect(messages.map((m) => [m.user, m.text, m.clientId])).to.deep.equal([['ann', 'hello', 'c-1'], ['bob', 'hello', 'c-1'], ['ann', 'same', undefined], ['ann', 'same', undefined]])
  })

  it('should refuse a room no one posted in as unknown, and every malformed argument naming its field, changing nothing', async () => {
    expect(await rejection(() => backend.history('never-posted', { limit: 5 }))).to.be.instanceOf(UnknownRoomError)
    const refusals: Array<[() => Promise<unknown>, string]> = [
      [() => backend.history('Bad Name', { limit: 5 }), 'room:'],
      [() => backend.history('read-room', { limit: 0 }), 'limit:'],
      [() => backend.history('read-room', { limit: 1.5 }), 'limit:'],
      [() => backend.history('read-room', { after: -1, limit: 5 }), 'after:'],
      [() => backend.post('ann', 'x'.repeat(65), 'hi'), 'room:'],
      [() => backend.post('ann', 'bad-posts', ''), 'text:'],
      // 22 three-byte characters are 66 bytes, over the 64 allowed
      [() => backend.post('ann', 'bad-posts', '€'.repeat(22)), 'text: 66 bytes'],
      [() => backend.post('ann', 'bad-posts', 'hi', 'has space'), 'client_id:'],
      [() => backend.post('ann', 'bad-posts', 'hi', ''), 'client_id:'],
      [() => backend.ask('ann', '   ', { signal: new AbortController().signal, onEvent: () => undefined }), 'question:']
    ]
    for (const [call, field] of refusals) {
      const err = await rejection(call)
      expect(err, field).to.be.instanceOf(InvalidRequestError)
      expect(err.message).to.contain(field)
    }
    expect(await rejection(() => backend.history('bad-posts', { limit: 5 }))).to.be.instanceOf(UnknownRoomError)
  })

  it('should refuse a post over the user\'s chat rate with when to retry, storing nothing', async () => {
    const limited = mcpBackend({ system: node.c.get('system'), asker: node.c.get('asker'), limiter: new RateLimiter({ rate: 0.01, burst: 1 }), maxMessageBytes: 64 })
    await limited.post('cy', 'rate-room', 'one')
    const err = await rejection(() => limited.post('cy', 'rate-room', 'two'))
    expect(err).to.be.instanceOf(RateLimitedError)
    expect((err as RateLimitedError).retryAfterMs).to.be.greaterThan(0)
    expect((await limited.history('rate-room', { limit: 10 })).messages.map((m) => m.text)).to.deep.equal(['one'])
  })

  it('should ask the user\'s own agent, handing its tokens over as they come, the answer their whole text', async () => {
    const pieces: string[] = []
    const answer = await backend.ask('ann', 'hello agent', { signal: new AbortController().signal, onEvent: (e) => { if (e.kind === 'token') pieces.push(e.text) } })
    expect(answer.completionTokens).to.be.greaterThan(0)
    expect(pieces.join('')).to.equal(answer.text)
  })

  it('should cancel the generation when the signal aborts', async () => {
    const abort = new AbortController()
    const err = await rejection(() => backend.ask('dee', 'a question to cut', {
      signal: abort.signal,
      onEvent: (e) => { if (e.kind === 'token') abort.abort(new Error('cut by the spec')) }
    }))
    expect(err.message).to.equal('cut by the spec')
  })
})
