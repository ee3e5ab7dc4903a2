import { expect } from 'chai'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidPluginPackageError, PackageFiles, UNPACKED_MARK, packageDigest, readPackage } from '../../../node/plugin-registry/index.ts'
import type { ReadPackage } from '../../../node/plugin-registry/index.ts'
import { pluginPackage } from '../../helpers/plugin-packages.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('PackageFiles: unpacked packages under <data-dir>/plugins', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let files: PackageFiles
  let pkg: ReadPackage
  let digest: string
  beforeEach(async () => {
    dir = await tempDir()
    files = new PackageFiles(join(dir.path, 'plugins'))
    const tgz = await pluginPackage(dir.path, { files: { 'bin/tool': '#!/bin/sh' } })
    pkg = readPackage(tgz)
    digest = packageDigest(tgz)
  })
  afterEach(async () => { await dir.remove() })

  it('should unpack a version into its own folder, marked with its digest, and reuse it when whole', async () => {
    expect(await files.has('clock', '1.0.0', digest)).to.equal(false)
    const at = await files.unpack('clock', '1.0.0', digest, pkg)
    expect(at).to.equal(join(dir.path, 'plugins', 'clock', '1.0.0'))
    expect(await readFile(join(at, UNPACKED_MARK), 'utf8')).to.equal(digest)
    expect((await readdir(at)).sort()).to.deep.equal([UNPACKED_MARK, 'bin', 'plexi-plugin.json', 'server.mjs'])
    expect((await stat(join(at, 'server.mjs'))).mode & 0o777).to.equal(0o644)
    expect(await files.has('clock', '1.0.0', digest)).to.equal(true)
    expect(await files.has('clock', '1.0.0', 'f'.repeat(64))).to.equal(false)
    // a second unpack of the same digest writes nothing
    await writeFile(join(at, 'touched'), 'x')
    await files.unpack('clock', '1.0.0', digest, pkg)
    expect(await readFile(join(at, 'touched'), 'utf8')).to.equal('x')
  })

  it('should replace a folder a crash left without its mark, list versions and leftovers, and remove only what it made', async () => {
    const half = join(dir.path, 'plugins', 'clock', '1.0.0')
    await mkdir(half, { recursive: true })
    await writeFile(join(half, 'server.mjs'), 'half written')
    await mkdir(join(dir.path, 'plugins', 'clock', '.2.0.0.unpacking-0a1b2c3d'), { recursive: true })
    await mkdir(join(dir.path, 'plugins', 'clock', 'data'), { recursive: true })
    await mkdir(join(dir.path, 'plugins', 'Not-A-Plugin'), { recursive: true })
    await files.unpack('clock', '1.0.0', digest, pkg)
    expect(await readFile(join(half, 'server.mjs'), 'utf8')).to.not.equal('half written')
    expect(Object.fromEntries(await files.list())).to.deep.equal({ clock: ['.2.0.0.unpacking-0a1b2c3d', '1.0.0'] })
    await files.removeVersion('clock', '.2.0.0.unpacking-0a1b2c3d')
    await files.removeVersion('clock', 'data')
    await files.removeVersion('clock', '../..')
    expect((await readdir(join(dir.path, 'plugins', 'clock'))).sort()).to.deep.equal(['1.0.0', 'data'])
    await files.removePlugin('clock')
    await files.removePlugin('..')
    expect((await readdir(join(dir.path, 'plugins'))).sort()).to.deep.equal(['Not-A-Plugin'])
  })

  it('should refuse a name or version that is no folder of its own, and a path that would land outside', async () => {
    expect(() => files.dirOf('..', '1.0.0')).to.throw(InvalidPluginPackageError)
    expect(() => files.dirOf('clock', '../1.0.0')).to.throw(InvalidPluginPackageError)
    const escaping: ReadPackage = { ...pkg, files: [...pkg.files, { path: '../../outside', mode: 0o644, bytes: Buffer.from('x') }] }
    const err = await files.unpack('clock', '1.0.0', digest, escaping).then(() => undefined, (e: unknown) => e)
    expect((err as Error).message).to.equal('the entry "../../outside" would land outside its folder')
    // nothing of it was left: no version, no unpacking
    expect(Object.fromEntries(await files.list())).to.deep.equal({ clock: [] })
  })
})
