import { expect } from 'chai'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DECOMMISSIONED_FILE, markDecommissioned, refuseDecommissioned } from '../../../node/migration/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('decommission mark', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should let a data dir never decommissioned start', async () => {
    await refuseDecommissioned(dir.path)
  })

  it('should mark a data dir for good, readable by its owner alone, and refuse it after, naming the node', async () => {
    await markDecommissioned(dir.path, 'n1')
    const mark = JSON.parse(await readFile(join(dir.path, DECOMMISSIONED_FILE), 'utf8')) as { peerId: string, at: string }
    expect(mark.peerId).to.equal('n1')
    expect(Number.isNaN(Date.parse(mark.at))).to.equal(false)
    expect((await stat(join(dir.path, DECOMMISSIONED_FILE))).mode & 0o077).to.equal(0)
    const err = await refuseDecommissioned(dir.path).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('DecommissionedError')
    expect(err?.message).to.include(`belongs to node n1, decommissioned at ${mark.at}`)
  })

  it('should refuse a data dir whose mark is damaged all the same', async () => {
    await writeFile(join(dir.path, DECOMMISSIONED_FILE), 'not json')
    const err = await refuseDecommissioned(dir.path).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('DecommissionedError')
    expect(err?.message).to.include('belongs to node (unknown)')
  })
})
