import { expect } from 'chai'
import { markedSnippet, searchRequest, timeFlag } from '../../../cli/commands/chat-search-command.ts'
import { plexiInProcess } from '../../helpers/plexi-in-process.ts'

describe('plexi chat search', () => {
  const now = Date.UTC(2026, 0, 31, 12)

  it('should read times as ms, dates or spans ago, and refuse anything else naming the flag', () => {
    expect(timeFlag('1700000000000', '--since', now)).to.equal(1_700_000_000_000)
    expect(timeFlag('2026-01-30', '--since', now)).to.equal(Date.UTC(2026, 0, 30))
    expect(timeFlag('7d', '--since', now)).to.equal(now - 7 * 86_400_000)
    expect(timeFlag('30m', '--until', now)).to.equal(now - 1_800_000)
    expect(() => timeFlag('last week', '--since', now)).to.throw(/--since: expected ms since the epoch, a date/)
  })

  it('should put each match in brackets', () => {
    expect(markedSnippet({ snippet: 'we ship on friday, ship!', marks: [{ start: 19, length: 4 }, { start: 3, length: 4 }] })).to.equal('we [ship] on friday, [ship]!')
    expect(markedSnippet({ snippet: 'no marks', marks: [] })).to.equal('no marks')
  })

  it('should turn the flags into a SearchRequest, and refuse bad ones before it connects', async () => {
    expect(searchRequest('ship it', { limit: '5', room: ['ops', 'dev'], author: 'ann', since: '1d', hybrid: true, rooms: true }, now)).to.deep.equal({
      query: 'ship it', rooms: ['ops', 'dev'], author: 'ann', since: now - 86_400_000, until: 0, limit: 5, mode: 'hybrid', scope: 'rooms'
    })
    for (const [args, message] of [
      [['x', '--room', 'Bad Room'], /--room: "Bad Room" is not a room name/],
      [['x', '--author', 'A B'], /--author: "A B" is not a user name/],
      [['x', '--limit', '101'], /--limit: expected an integer from 1 to 100, got "101"/],
      [['x', '--semantic', '--hybrid'], /--semantic and --hybrid: choose one/],
      [['x', '--since', 'yesterday'], /--since: expected ms since the epoch/]
    ] as const) {
      const result = await plexiInProcess(['chat', 'search', ...args, '--addr', '127.0.0.1:1', '--token', 't'])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr, args.join(' ')).to.match(message)
    }
  })
})
