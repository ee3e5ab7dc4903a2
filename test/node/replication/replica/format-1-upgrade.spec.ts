import { expect } from 'chai'
import { ClassicLevel } from 'classic-level'
import { LevelStore, openLocalJournal, seal } from '../../../../node/index.ts'
import type { EntityJournal } from '../../../../actors/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

describe('upgradeFromFormat1', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore | undefined
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await dir.remove()
  })

  const events = (from: number, to: number): Array<{ seq: number, event: { n: number } }> =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, event: { n: from + i } }))
  const all = async (log: EntityJournal, from = 1): Promise<unknown[]> => {
    const out = []
    for await (const r of log.replay(from)) out.push(r)
    return out
  }

  it('should upgrade a store of format 1 in place, keeping every journal and snapshot', async () => {
    // a store as the previous version wrote it: one journal per entity
    const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    const { createPlainCodec } = await import('../../../../actors/index.ts')
    const codec = createPlainCodec()
    await db.put('m\x00format', seal('m\x00format', new TextEncoder().encode('plexi-store/1')))
    for (const seq of [1, 2, 3]) {
      const key = `j\x00room/old\x00${seq.toString(16).padStart(16, '0')}`
      await db.put(key, seal(key, codec.encode({ n: seq })))
    }
    await db.put('s\x00room/old', seal('s\x00room/old', codec.encode({ seq: 2, state: { n: 2 } })))
    await db.close()
    store = await LevelStore.open(dir.path)
    expect(store.format).to.equal('plexi-store/1')
    const journal = await openLocalJournal(store)
    expect(store.format).to.equal('plexi-store/2')
    const log = await journal.open('room/old')
    expect(log.head).to.equal(3)
    expect(await all(log)).to.deep.equal(events(1, 3))
    expect(await log.loadSnapshot()).to.deep.equal({ seq: 2, state: { n: 2 } })
    expect(await store.keys({ gte: 'j\x00', lte: 'j\x00\xff' })).to.deep.equal([])
    expect(await store.keys({ gte: 's\x00', lte: 's\x00\xff' })).to.deep.equal([])
  })
})
