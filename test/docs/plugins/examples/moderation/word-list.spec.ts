import { expect } from 'chai'
import { chmod, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_LIST_BYTES, WordList, parseWords, wordsOf } from '../../../../../docs/plugins/examples/moderation/word-list.ts'
import { tempDir } from '../../../../helpers/temp-dir.ts'

describe('WordList (docs/plugins/examples/moderation)', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let path: string
  beforeEach(async () => {
    dir = await tempDir('plexi-words-')
    path = join(dir.path, 'words.txt')
  })
  afterEach(async () => { await dir.remove() })

  it('should read one word per line, comments and blank lines aside, lower-cased', () => {
    expect([...parseWords('# the list\nSpam\n\n  scam  # since June\nＦＯＯ\r\n')]).to.deep.equal(['spam', 'scam', 'foo'])
  })

  it('should cut a post into words of letters, digits and apostrophes, whatever the script or width', () => {
    expect(wordsOf('Buy SCAM-coins, now!! l33t don\'t ｓｃａｍ Привет')).to.deep.equal(['buy', 'scam', 'coins', 'now', 'l33t', 'don\'t', 'scam', 'привет'])
  })

  it('should find the first listed word of a post, and none in words that only hold it', async () => {
    await writeFile(path, 'scam\nspam\n')
    const list = new WordList(path)
    expect(list.find('a Spam and a scam')).to.equal('spam')
    expect(list.find('scampi and spammers')).to.equal(undefined)
    expect(list.find('')).to.equal(undefined)
  })

  it('should refuse nothing without a file, and read the file again once it changes', async () => {
    const list = new WordList(path)
    expect(list.find('scam')).to.equal(undefined)
    await writeFile(path, 'scam\n')
    expect(list.find('scam')).to.equal('scam')
    await writeFile(path, 'scum\n') // the same size: its time or inode tells
    expect(list.find('scam')).to.equal(undefined)
    expect(list.find('scum')).to.equal('scum')
    await rm(path)
    expect(list.words().size).to.equal(0)
  })

  it('should throw when the list cannot be read or is too large, so that the hook\'s policy decides', async () => {
    await writeFile(path, 'x'.repeat(MAX_LIST_BYTES + 1))
    expect(() => new WordList(path).find('x')).to.throw(/is over 1048576 bytes/)
    await writeFile(path, 'scam\n')
    await chmod(dir.path, 0o000)
    try {
      // root reads whatever the mode says: the check needs a user the mode binds
      if (process.getuid?.() !== 0) expect(() => new WordList(path).find('scam')).to.throw(/EACCES/)
    } finally {
      await chmod(dir.path, 0o700)
    }
  })
})
