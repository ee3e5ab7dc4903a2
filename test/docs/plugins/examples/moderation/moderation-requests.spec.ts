import { expect } from 'chai'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_LISTED_ROOMS, MODERATION_CAPABILITY, moderationRequests } from '../../../../../docs/plugins/examples/moderation/moderation-requests.ts'
import type { RequestHandler } from '../../../../../docs/plugins/examples/moderation/mcp-stdio.ts'
import { PostCounts } from '../../../../../docs/plugins/examples/moderation/post-counts.ts'
import { WordList } from '../../../../../docs/plugins/examples/moderation/word-list.ts'
import { checkPlexiCapability } from '../../../../../node/plugins/plexi-capability.ts'
import { tempDir } from '../../../../helpers/temp-dir.ts'
import { thrown } from '../../../../helpers/thrown.ts'

describe('moderationRequests (docs/plugins/examples/moderation)', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let handlers: Record<string, RequestHandler>
  let counts: PostCounts
  const ask = (method: string, params: Record<string, unknown>): unknown => (handlers[method] as RequestHandler)(params)
  beforeEach(async () => {
    dir = await tempDir('plexi-moderation-')
    await mkdir(join(dir.path, 'counts'))
    await writeFile(join(dir.path, 'words.txt'), 'scam\nspam\n')
    counts = new PostCounts(join(dir.path, 'counts'))
    handlers = moderationRequests({ words: new WordList(join(dir.path, 'words.txt')), counts })
  })
  afterEach(async () => { await dir.remove() })

  it('should declare a capability the node takes: /modstats and both hooks', () => {
    expect(checkPlexiCapability('moderation', MODERATION_CAPABILITY)).to.deep.equal(MODERATION_CAPABILITY)
  })

  it('should refuse a post holding a listed word with a reason, allow the rest, and count refusals per room', () => {
    expect(ask('plexi/before-post', { room: 'general', user: 'alice', text: 'a SCAM!' })).to.deep.equal({ verdict: 'refuse', reason: '"scam" is on this cluster\'s list of words not allowed in posts' })
    expect(ask('plexi/before-post', { room: 'general', user: 'alice', text: 'scampi' })).to.deep.equal({ verdict: 'allow' })
    ask('plexi/after-post', { room: 'general', seq: 1, user: 'alice', text: 'scampi', ts: 1 })
    expect(ask('plexi/command', { room: 'general', user: 'bob', command: 'modstats', args: '' })).to.deep.equal({ text: 'general: 1 posts counted (last seq 1); 1 refused since moderation started; 2 words on the list' })
  })

  it('should count posts once per seq and say so per room and for every room', () => {
    for (const [room, seq] of [['general', 1], ['general', 2], ['general', 2], ['random', 5]] as const) ask('plexi/after-post', { room, seq, user: 'alice', text: 'hi', ts: 10 })
    expect(ask('plexi/command', { room: 'random', user: 'bob', command: 'modstats', args: '' })).to.deep.equal({ text: 'random: 1 posts counted (last seq 5); 0 refused since moderation started; 2 words on the list' })
    expect(ask('plexi/command', { room: 'random', user: 'bob', command: 'modstats', args: ' all ' })).to.deep.equal({ text: 'posts counted: general 2, random 1; 0 refused since moderation started; 2 words on the list' })
    for (let i = 0; i < MAX_LISTED_ROOMS + 2; i++) ask('plexi/after-post', { room: `r${i}`, seq: 1, user: 'alice', text: 'hi', ts: 10 })
    expect((ask('plexi/command', { room: 'random', user: 'bob', command: 'modstats', args: 'all' }) as { text: string }).text).to.match(/ and 4 more rooms; /)
    expect(ask('plexi/command', { room: 'random', user: 'bob', command: 'modstats', args: 'please' })).to.deep.equal({ text: 'usage: /modstats (this room) or /modstats all (every room)' })
  })

  it('should say no posts were counted before any', () => {
    expect(ask('plexi/command', { room: 'general', user: 'bob', command: 'modstats', args: 'all' })).to.deep.equal({ text: 'no posts counted yet; 2 words on the list' })
  })

  it('should refuse malformed params with invalid-params errors, counting nothing', () => {
    const bad: Array<[string, Record<string, unknown>, RegExp]> = [
      ['plexi/before-post', { room: '../etc', user: 'a', text: 'x' }, /^room: /],
      ['plexi/before-post', { room: 'general', user: 'a' }, /^text: /],
      ['plexi/after-post', { room: 'general', seq: 0, user: 'a', text: 'x', ts: 1 }, /^seq: /],
      ['plexi/after-post', { room: 'general', seq: 1.5, user: 'a', text: 'x', ts: 1 }, /^seq: /],
      ['plexi/after-post', { room: 'general', seq: 1, user: 'a', text: 'x', ts: 'now' }, /^ts: /],
      ['plexi/command', { room: 'general', user: 'a', command: 'roll', args: '' }, /^command: moderation answers \/modstats/],
      ['plexi/command', { room: 'general', user: 'a', command: 'modstats' }, /^args: /]
    ]
    for (const [method, params, message] of bad) {
      const err = thrown(() => ask(method, params)) as Error & { code: number }
      expect([err.name, err.code], method).to.deep.equal(['RequestError', -32602])
      expect(err.message).to.match(message)
    }
    expect(counts.all()).to.deep.equal([])
  })
})
