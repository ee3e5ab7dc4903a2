import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError } from '../../cli/cli-errors.ts'
import { packPluginDir } from '../../cli/plugin-pack.ts'
import { packageDigest, readPackage } from '../../node/plugin-registry/index.ts'
import { testManifest, writePluginDir } from '../helpers/plugin-packages.ts'
import { tempDir } from '../helpers/temp-dir.ts'

describe('packPluginDir', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should pack a folder that GNU tar lists and the registry reads back, the same bytes every time', async () => {
    const long = `${'folder-name/'.repeat(10)}file.txt`
    const plugin = await writePluginDir(dir.path, { files: { 'lib/a.mjs': 'export {}', [long]: 'deep', '.git/HEAD': 'ref' } })
    const tgz = await packPluginDir(plugin)
    await writeFile(join(dir.path, 'p.tgz'), tgz)
    const listed = execFileSync('tar', ['-tzf', join(dir.path, 'p.tgz')], { encoding: 'utf8' }).split('\n').filter((l) => l !== '')
    expect(listed).to.include.members(['plexi-plugin.json', 'server.mjs', 'lib/', 'lib/a.mjs', long])
    expect(listed.some((l) => l.startsWith('.git')), 'no .git').to.equal(false)
    const pkg = readPackage(tgz)
    expect(pkg.manifest).to.deep.equal(testManifest())
    expect(pkg.files.find((f) => f.path === long)?.bytes.toString()).to.equal('deep')
    expect(packageDigest(await packPluginDir(plugin))).to.equal(packageDigest(tgz))
  })

  it('should read what GNU tar makes, a top folder and all', async () => {
    const plugin = await writePluginDir(dir.path, { name: 'gnu' })
    execFileSync('tar', ['-czf', join(dir.path, 'gnu.tgz'), '-C', dir.path, 'gnu-1.0.0'])
    const pkg = readPackage(await readFile(join(dir.path, 'gnu.tgz')))
    expect(pkg.files.map((f) => f.path).sort()).to.deep.equal(['plexi-plugin.json', 'server.mjs'])
    expect(plugin).to.match(/gnu-1\.0\.0$/)
  })

  it('should refuse a link, saying to copy the file in', async () => {
    const plugin = await writePluginDir(dir.path)
    await mkdir(join(plugin, 'lib'))
    await symlink('/etc/hostname', join(plugin, 'lib', 'host'))
    const err = await packPluginDir(plugin).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(CliError)
    expect((err as Error).message).to.equal(`${join(plugin, 'lib', 'host')} is a link: a plugin package holds files only (copy the file in)`)
  })
})
