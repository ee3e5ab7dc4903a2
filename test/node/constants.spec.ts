import { readFile } from 'node:fs/promises'
import { expect } from 'chai'
import { ADMIN_TOKEN_FILE, BACKUP_CHUNKS_DIR, PEER_KEY_FILE, STORE_DIR, TOKENS_DIR, VERSION } from '../../node/constants.ts'

describe('node constants', () => {
  it('should say the version package.json says', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(VERSION).to.equal(pkg.version)
  })

  it('should keep the data dir\'s layout that existing nodes and operators\' scripts rely on', () => {
    // a name changed here would make a node restarted on its data dir lose its identity, its
    // store or its tokens: these are a contract, like a wire format
    expect({ ADMIN_TOKEN_FILE, STORE_DIR, BACKUP_CHUNKS_DIR, PEER_KEY_FILE, TOKENS_DIR }).to.deep.equal({
      ADMIN_TOKEN_FILE: 'admin-token', STORE_DIR: 'store', BACKUP_CHUNKS_DIR: 'backup-chunks', PEER_KEY_FILE: 'peer-key', TOKENS_DIR: 'tokens'
    })
    expect(new Set([ADMIN_TOKEN_FILE, STORE_DIR, BACKUP_CHUNKS_DIR, PEER_KEY_FILE, TOKENS_DIR]).size).to.equal(5)
  })
})
