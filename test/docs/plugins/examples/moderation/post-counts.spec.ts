import { expect } from 'chai'
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PostCounts } from '../../../../../docs/plugins/examples/moderation/post-counts.ts'
import { tempDir } from '../../../../helpers/temp-dir.ts'

describe('PostCounts (docs/plugins/examples/moderation)', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let counts: string
  beforeEach(async () => {
    dir = await tempDir('plexi-counts-')
    counts = join(dir.path, 'counts')
    await mkdir(counts)
  })
  afterEach(async () => { await dir.remove() })

  it('should count each post once, in a file per room, a post sent again after a crash not counted twice', async () => {
    const c = new PostCounts(counts)
    expect(c.count('general', 1, 1000)).to.equal(true)
    expect(c.count('general', 3, 3000)).to.equal(true)
    expect(c.count('general', 3, 3000), 'seq 3 again').to.equal(false)
    expect(c.count('general', 2, 2000), 'an older seq').to.equal(false)
    expect(c.count('random', 1, 500)).to.equal(true)
    expect(c.get('general')).to.deep.equal({ posts: 2, lastSeq: 3, lastTs: 3000 })
    expect(JSON.parse(await readFile(join(counts, 'general.json'), 'utf8'))).to.deep.equal({ posts: 2, lastSeq: 3, lastTs: 3000 })
    expect((await readdir(counts)).sort(), 'no temp file left').to.deep.equal(['general.json', 'random.json'])
  })

  it('should read the file, not its memory, so that two processes of the plugin side by side (a hot swap) lose no count', () => {
    const old = new PostCounts(counts)
    const next = new PostCounts(counts)
    expect(old.count('general', 1, 1)).to.equal(true)
    expect(next.count('general', 2, 2)).to.equal(true)
    expect(old.count('general', 2, 2), 'the new one counted it').to.equal(false)
    expect(old.get('general').posts).to.equal(2)
  })

  it('should list every room, most posts first, and none before a count', () => {
    expect(new PostCounts(join(dir.path, 'none')).all()).to.deep.equal([])
    const c = new PostCounts(counts)
    c.count('b', 1, 1)
    for (const seq of [1, 2]) c.count('a', seq, seq)
    c.count('c.d_e-f', 1, 1)
    expect(c.all().map((r) => [r.room, r.posts])).to.deep.equal([['a', 2], ['b', 1], ['c.d_e-f', 1]])
    expect(c.get('unknown')).to.deep.equal({ posts: 0, lastSeq: 0, lastTs: 0 })
  })
})
