import { expect } from 'chai'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../../../config/index.ts'
import { markDecommissioned } from '../../../node/migration/index.ts'
import { nodePreflight } from '../../../node/root/index.ts'
import { loneConfig } from '../../helpers/node-parts-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('nodePreflight', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should make the data dir, an identity and an admin token, and run alone without a cluster key', async () => {
    const config = await loneConfig(dir.path)
    const preflight = await nodePreflight(config)
    expect((await stat(config.dataDir)).mode & 0o777).to.equal(0o700)
    expect(preflight.identity.peerId).to.match(/^12D3KooW/)
    expect(preflight.adminToken.source).to.equal('created')
    expect((await stat(preflight.adminToken.path)).mode & 0o777).to.equal(0o600)
    expect(preflight.clusterKey).to.equal(undefined)
    expect(preflight.capacity).to.be.greaterThan(0)
    // the same identity and token the next time
    const again = await nodePreflight(config)
    expect(again.identity.peerId).to.equal(preflight.identity.peerId)
    expect(again.adminToken.source).to.equal('file')
  })

  it('should refuse a cluster key file that is not one as a configuration error naming its key, writing nothing', async () => {
    const keyFile = join(dir.path, 'cluster.key')
    await writeFile(keyFile, 'not a key\n', { mode: 0o600 })
    const config = await loneConfig(dir.path, { 'cluster-key-file': keyFile })
    let failed: unknown
    await nodePreflight(config).catch((err: unknown) => { failed = err })
    expect(failed).to.be.instanceOf(ConfigError)
    expect((failed as ConfigError).key).to.equal('cluster-key-file')
    let made = true
    await stat(config.dataDir).catch(() => { made = false })
    expect(made).to.equal(false)
  })

  it('should refuse a decommissioned data dir', async () => {
    const config = await loneConfig(dir.path)
    const { identity } = await nodePreflight(config)
    await markDecommissioned(config.dataDir, identity.peerId)
    let failed: unknown
    await nodePreflight(config).catch((err: unknown) => { failed = err })
    expect((failed as Error).name).to.equal('DecommissionedError')
  })
})
