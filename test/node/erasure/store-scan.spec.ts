import { expect } from 'chai'
import { scanStore } from '../../../node/erasure/index.ts'
import { LevelStore } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('scanStore', () => {
  it('should count the values holding a text, whatever their key, and every value read', async () => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    try {
      const bytes = (t: string): Uint8Array => new TextEncoder().encode(t)
      await store.write([
        { type: 'put', key: 'r\x00a', value: bytes('hello secret world') },
        { type: 'put', key: 'p\x00b', value: bytes('{"state":"a secret"}') },
        { type: 'put', key: 'e\x00c', value: bytes('nothing here') }
      ])
      const { holding, scanned } = await scanStore(store, 'secret')
      expect(holding).to.equal(2)
      expect(scanned).to.be.at.least(3)
      expect((await scanStore(store, 'hello secret')).holding).to.equal(1)
      expect((await scanStore(store, 'absent text')).holding).to.equal(0)
    } finally {
      await store.close()
      await dir.remove()
    }
  })
})
