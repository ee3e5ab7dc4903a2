import { expect } from 'chai'
import { SEARCH_TOOL_SPEC, SearchTool } from '../../../node/search/index.ts'
import type { SearchQuery, SearchResult, SearchViewer } from '../../../node/search/index.ts'
import type { ToolSpec } from '../../../protocols/index.ts'

const other: ToolSpec = { name: 'clock__now', source: { kind: 'plugin', name: 'clock' }, tool: 'now', description: 'time', inputSchema: { type: 'object' } }
const result: SearchResult = {
  hits: [{ kind: 'room', name: 'ops', seq: 12, author: 'bob', ts: Date.UTC(2026, 0, 30), snippet: 'we decided on postgres', marks: [[13, 8]], score: 3 }, { kind: 'agent', name: 'ann', seq: 3, author: 'agent', ts: Date.UTC(2026, 0, 29), snippet: 'postgres, as decided', marks: [], score: 1 }],
  partial: true, missing: [1], incomplete: [], failed: [], semantic: 'not-asked', embedMs: 0
}

describe('SearchTool', () => {
  const now = Date.UTC(2026, 0, 31)
  const asked: Array<[SearchQuery, SearchViewer]> = []
  const granted = new Set(['ann'])
  const tool = new SearchTool({
    inner: { tools: async () => [other], call: async (_u, call) => ({ callId: call.id, isError: false, text: 'inner' }) },
    search: async (q, v) => { asked.push([q, v]); return result },
    allowed: async (user, spec) => spec.name !== SEARCH_TOOL_SPEC.name || granted.has(user),
    now: () => now
  })
  beforeEach(() => { asked.length = 0 })

  it('should offer plexi__search where the user\'s policy grants it, beside the node\'s other tools', async () => {
    expect((await tool.tools('ann')).map((t) => t.name)).to.deep.equal(['clock__now', 'plexi__search'])
    expect((await tool.tools('bob')).map((t) => t.name)).to.deep.equal(['clock__now'])
    expect((await tool.call('bob', { id: 'c', name: 'clock__now', arguments: {} })).text).to.equal('inner')
  })

  it('should search as the user, last week\'s posts, and answer lines a model reads', async () => {
    const answer = await tool.call('ann', { id: 'c1', name: 'plexi__search', arguments: { query: 'postgres decided', days: 7, room: 'ops' } })
    expect(asked).to.deep.equal([[{ text: 'postgres decided', mode: 'text', scope: 'all', limit: 5, rooms: ['ops'], since: now - 7 * 86_400_000 }, { user: 'ann' }]])
    expect(answer).to.deep.equal({
      callId: 'c1',
      isError: false,
      text: 'room ops #12, bob, 2026-01-30T00:00:00.000Z: we decided on postgres\nyour conversation #3, agent, 2026-01-29T00:00:00.000Z: postgres, as decided\n(some posts could not be searched just now: the answer may be incomplete)'
    })
  })

  it('should refuse a user not granted it, and answer bad arguments as an error the model reads', async () => {
    await tool.call('bob', { id: 'c', name: 'plexi__search', arguments: { query: 'x' } }).then(() => expect.fail('called'), (err: Error) => { expect(err.name).to.equal('ToolDeniedError') })
    for (const [args, why] of [[{ query: '' }, /search text/], [{ query: 'x', days: 0 }, /days: expected/], [{ query: 'x', limit: 50 }, /limit: expected/], [{ query: 'x', user: 'bob' }, /unknown argument "user"/], [{ query: 'x', room: 'A B' }, /search rooms/]] as const) {
      const answer = await tool.call('ann', { id: 'c', name: 'plexi__search', arguments: args })
      expect(answer.isError, JSON.stringify(args)).to.equal(true)
      expect(answer.text, JSON.stringify(args)).to.match(why)
    }
    expect(asked).to.deep.equal([])
  })
})
