import { expect } from 'chai'
import { createHash, randomBytes } from 'node:crypto'
import { PACKAGE_CHUNK_BYTES, PLUGIN_PACKAGE, chunkCount, chunkLength, pluginPackage } from '../../../actors/index.ts'
import type { PackageInfo } from '../../../actors/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

describe('pluginPackage: a package\'s bytes in chunks (real LevelDB journal)', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(pluginPackage))
  const bytes = randomBytes(2 * PACKAGE_CHUNK_BYTES + 1_000)
  const digest = createHash('sha256').update(bytes).digest('hex')
  const size = bytes.byteLength
  const count = chunkCount(size)
  const ask = async <T>(msg: object, key = digest): Promise<T> => await node.system.entity(PLUGIN_PACKAGE, key).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
  const refused = async (msg: object, key = digest): Promise<Error> => await ask(msg, key).then(() => { throw new Error('expected a refusal') }, (e: Error) => e)
  const chunk = (index: number, from = bytes): Uint8Array => from.subarray(index * PACKAGE_CHUNK_BYTES, index * PACKAGE_CHUNK_BYTES + chunkLength(size, index))
  const putAll = async (from = bytes): Promise<void> => {
    for (let i = 0; i < count; i++) await ask({ type: 'put', index: i, count, size, bytes: chunk(i, from) })
  }

  it('should store chunks, seal them once they hash to the key, and read them back after a restart', async () => {
    expect(await ask<number>({ type: 'put', index: 2, count, size, bytes: chunk(2) })).to.equal(1)
    expect((await refused({ type: 'seal', count, size })).message).to.match(/1 of 3 chunks of \d+ bytes are stored: store every chunk before sealing it/)
    expect((await refused({ type: 'read', index: 0 })).name).to.equal('PluginPackageMissingError')
    await putAll()
    const sealed = await ask<PackageInfo>({ type: 'seal', count, size })
    expect(sealed).to.deep.equal({ digest, size, count, stored: count, sealed: true })
    await node.restart()
    const back = Buffer.concat(await Promise.all([0, 1, 2].map(async (index) => await ask<Uint8Array>({ type: 'read', index }))))
    expect(back.equals(bytes)).to.equal(true)
    expect((await refused({ type: 'read', index: 3 })).message).to.equal(`package ${digest} has 3 chunks, not 4`)
    // sealed: a put changes nothing
    await ask({ type: 'put', index: 0, count, size, bytes: Buffer.alloc(PACKAGE_CHUNK_BYTES) })
    expect(Buffer.from(await ask<Uint8Array>({ type: 'read', index: 0 })).equals(chunk(0))).to.equal(true)
  })

  it('should refuse to seal bytes that do not hash to its key, and take the right ones after', async () => {
    const wrong = Buffer.from(bytes)
    wrong[5] = (wrong[5] as number) ^ 1
    await putAll(wrong)
    const refusal = await refused({ type: 'seal', count, size })
    expect([refusal.name, refusal.message]).to.deep.equal(['PluginPackageError', `package ${digest}: its ${size} bytes read back hash to ${createHash('sha256').update(wrong).digest('hex')}, not to its key: store its chunks again`])
    expect((await ask<PackageInfo>({ type: 'info' })).sealed).to.equal(false)
    await ask({ type: 'put', index: 0, count, size, bytes: chunk(0) })
    expect((await ask<PackageInfo>({ type: 'seal', count, size })).sealed).to.equal(true)
  })

  it('should start over when chunks come for another size, and refuse a key that is no digest', async () => {
    await ask({ type: 'put', index: 0, count: 1, size: 10, bytes: Buffer.alloc(10) })
    await putAll()
    expect(await ask<PackageInfo>({ type: 'info' })).to.deep.include({ size, count, stored: count })
    expect((await refused({ type: 'info' }, 'not-a-digest')).message).to.equal('plugin-package/not-a-digest: a package\'s key is its SHA-256 digest (64 hex digits)')
  })
})
