import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { PACKAGE_CHUNK_BYTES, PLUGIN_PACKAGE, chunkCount, pluginPackage } from '../../../actors/index.ts'
import { InvalidPluginPackageError, PackageStore, PluginDigestMismatchError, packageDigest } from '../../../node/plugin-registry/index.ts'
import { MAX_PACKAGE_BYTES } from '../../../protocols/plugins/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

describe('PackageStore: packages\' bytes in the registry (real LevelDB journal)', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(pluginPackage))

  it('should store a package in chunks, seal it, and fetch it back checked, once however often it is stored', async () => {
    const store = new PackageStore(node.system)
    const bytes = randomBytes(3 * PACKAGE_CHUNK_BYTES + 17)
    const info = await store.store(bytes)
    expect(info).to.deep.equal({ digest: packageDigest(bytes), size: bytes.byteLength, count: 4, stored: 4, sealed: true })
    expect((await store.store(bytes)).sealed).to.equal(true)
    const back = await store.fetch(info.digest, info.size)
    expect(back.equals(bytes)).to.equal(true)
    expect(store.fetchedBytes).to.equal(bytes.byteLength)
  })

  it('should refuse an empty or oversize package, and bytes that do not match what was installed', async () => {
    const store = new PackageStore(node.system)
    for (const size of [0, MAX_PACKAGE_BYTES + 1]) {
      const err = await store.store(Buffer.alloc(size)).then(() => undefined, (e: unknown) => e)
      expect(err, String(size)).to.be.instanceOf(InvalidPluginPackageError)
    }
    const bytes = randomBytes(100)
    const digest = packageDigest(bytes)
    await store.store(bytes)
    // the size said is not the package's: what is read back does not match
    const wrong = await store.fetch(digest, 99).then(() => undefined, (e: unknown) => e)
    expect(wrong).to.be.instanceOf(PluginDigestMismatchError)
    const missing = await store.fetch('e'.repeat(64), 100).then(() => undefined, (e: unknown) => e)
    expect((missing as Error).name).to.equal('PluginPackageMissingError')
    expect(chunkCount(100)).to.equal(1)
    expect((await node.system.entity(PLUGIN_PACKAGE, digest).ask<{ sealed: boolean }>((replyTo) => ({ type: 'info', replyTo }))).sealed).to.equal(true)
  })
})
