import { expect } from 'chai'
import { stat } from 'node:fs/promises'
import { SavedTokens } from '../../cli/saved-tokens.ts'
import { tempDir } from '../helpers/temp-dir.ts'

describe('SavedTokens', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should keep tokens readable by their owner only, the first saved being the default', async () => {
    const saved = new SavedTokens(dir.path)
    expect([await saved.defaultUser(), await saved.users()]).to.deep.equal([undefined, []])
    expect(await saved.save('ann', 'plxu_a')).to.equal(true)
    expect(await saved.save('bob', 'plxu_b')).to.equal(false)
    expect([await saved.defaultUser(), await saved.users(), await saved.read('bob')]).to.deep.equal(['ann', ['ann', 'bob'], 'plxu_b'])
    expect((await stat(saved.path('ann'))).mode & 0o777).to.equal(0o600)
    expect((await stat(saved.dir)).mode & 0o777).to.equal(0o700)
  })

  it('should make another user the default on request, and forget a removed user and the default they were', async () => {
    const saved = new SavedTokens(dir.path)
    await saved.save('ann', 'plxu_a')
    expect(await saved.save('bob', 'plxu_b', true)).to.equal(true)
    expect(await saved.defaultUser()).to.equal('bob')
    expect(await saved.remove('bob')).to.deep.equal({ token: true, wasDefault: true })
    expect([await saved.defaultUser(), await saved.users()]).to.deep.equal([undefined, ['ann']])
    expect(await saved.remove('nobody')).to.deep.equal({ token: false, wasDefault: false })
  })
})
