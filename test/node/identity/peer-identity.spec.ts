import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { PEER_KEY_FILE } from '../../../node/constants.ts'
import { loadPeerIdentity } from '../../../node/identity/index.ts'
import { rejection } from '../../helpers/thrown.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('loadPeerIdentity', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should make an Ed25519 identity kept in a file of mode 0600, and load the same peer id again, when the node restarts', async () => {
    const first = await loadPeerIdentity(dir.path)
    expect(first.created).to.equal(true)
    expect(first.privateKey.type).to.equal('Ed25519')
    expect(first.peerId).to.match(/^12D3KooW/)
    expect((await stat(join(dir.path, PEER_KEY_FILE))).mode & 0o777).to.equal(0o600)
    const again = await loadPeerIdentity(dir.path)
    expect([again.peerId, again.created]).to.deep.equal([first.peerId, false])
  })

  it('should refuse a file that is not a libp2p private key, saying how to get a new identity', async () => {
    const path = join(dir.path, PEER_KEY_FILE)
    await writeFile(path, 'garbage', { mode: 0o600 })
    expect((await rejection(async () => await loadPeerIdentity(dir.path))).message).to.match(new RegExp(`^${path} is not a libp2p private key \\(.*\\); move it away to let the node make a new identity$`))
  })
})
