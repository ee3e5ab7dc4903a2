import { expect } from 'chai'
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidPluginManifestError, MAX_PLUGIN_MEMORY_MIB, PLUGIN_API_VERSION, checkPluginManifest } from '../../../protocols/plugins/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { thrown } from '../../helpers/thrown.ts'

const valid = {
  name: 'clock',
  version: '1.2.0',
  description: 'tells the time',
  plexi: '^1.0.0',
  entry: { node: 'main.js' },
  permissions: { read: ['cache'], write: ['.'], network: false, childProcess: false, addons: false, env: ['TZ'], memoryMiB: 128 },
  callDeadlineMs: 2_000,
  beforePost: { budgetMs: 100, onFailure: 'refuse' }
}

/** The field an invalid manifest is refused for. */
function refusedField (value: unknown, opts = {}): string {
  const err = thrown(() => checkPluginManifest(value, opts))
  expect(err).to.be.instanceOf(InvalidPluginManifestError)
  expect(err.message).to.include((err as InvalidPluginManifestError).field)
  return (err as InvalidPluginManifestError).field
}

const withField = (path: string[], value: unknown): Record<string, unknown> => {
  const copy = structuredClone(valid) as Record<string, unknown>
  let at = copy
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>
  const last = path.at(-1) as string
  if (value === undefined) delete at[last]
  else at[last] = value
  return copy
}

describe('plugin manifest', () => {
  it('should give back a valid manifest field for field, paths normalized', () => {
    expect(checkPluginManifest(valid)).to.deep.equal(valid)
    const m = checkPluginManifest({ ...valid, entry: { command: './bin//serve', args: ['--stdio'] }, permissions: { write: ['data/'] } })
    expect(m.entry).to.deep.equal({ command: 'bin/serve', args: ['--stdio'] })
    expect(m.permissions).to.deep.equal({ write: ['data'] })
    expect(checkPluginManifest({ ...valid, callDeadlineMs: undefined, beforePost: undefined, permissions: {} })).to.not.have.property('callDeadlineMs')
  })

  it('should refuse each bad field, naming it', () => {
    const cases: Array<[string[], unknown, string]> = [
      [['name'], 'Clock', 'name'], [['name'], 'a'.repeat(25), 'name'], [['name'], undefined, 'name'],
      [['version'], '1.0', 'version'], [['version'], 1, 'version'],
      [['description'], 'x'.repeat(2_000), 'description'], [['description'], undefined, 'description'],
      [['plexi'], 'latest', 'plexi'], [['plexi'], '^2.0.0', 'plexi'], [['plexi'], '<1.0.0', 'plexi'],
      [['entry'], { node: 'a.js', command: 'b' }, 'entry'], [['entry'], {}, 'entry'], [['entry'], 'main.js', 'entry'],
      [['entry', 'node'], '/etc/passwd', 'entry.node'], [['entry', 'node'], '../other/main.js', 'entry.node'], [['entry', 'node'], 'a/../../x.js', 'entry.node'],
      [['entry', 'node'], '', 'entry.node'], [['entry', 'node'], 'C:\\x.js', 'entry.node'], [['entry', 'extra'], 1, 'entry.extra'],
      [['permissions'], undefined, 'permissions'], [['permissions', 'read'], ['../../data'], 'permissions.read[0]'],
      [['permissions', 'write'], ['.', '/tmp'], 'permissions.write[1]'], [['permissions', 'write'], 'data', 'permissions.write'],
      [['permissions', 'network'], 'yes', 'permissions.network'], [['permissions', 'childProcess'], 1, 'permissions.childProcess'],
      [['permissions', 'addons'], null, 'permissions.addons'],
      [['permissions', 'env'], ['PLEXI_ADMIN_TOKEN'], 'permissions.env[0]'], [['permissions', 'env'], ['NODE_OPTIONS'], 'permissions.env[0]'],
      [['permissions', 'env'], ['A=B'], 'permissions.env[0]'], [['permissions', 'env'], Array.from({ length: 33 }, (_, i) => `V${i}`), 'permissions.env'],
      [['permissions', 'memoryMiB'], MAX_PLUGIN_MEMORY_MIB + 1, 'permissions.memoryMiB'], [['permissions', 'memoryMiB'], 8, 'permissions.memoryMiB'],
      [['permissions', 'memoryMiB'], 100.5, 'permissions.memoryMiB'], [['permissions', 'files'], [], 'permissions.files'],
      [['callDeadlineMs'], 0, 'callDeadlineMs'], [['callDeadlineMs'], 60_000, 'callDeadlineMs'],
      [['beforePost', 'budgetMs'], 5_000, 'beforePost.budgetMs'], [['beforePost', 'onFailure'], 'drop', 'beforePost.onFailure'],
      [['permision'], {}, 'permision']
    ]
    for (const [path, value, field] of cases) expect(refusedField(withField(path, value)), `${path.join('.')} = ${JSON.stringify(value)}`).to.equal(field)
    expect(refusedField(null)).to.equal('(root)')
    expect(refusedField(JSON.parse('{"__proto__": {"x": 1}}'))).to.equal('__proto__')
    expect(refusedField({ ...valid, entry: { command: 'serve', args: [1] } })).to.equal('entry.args[0]')
  })

  it('should say which plugin API a range leaves out', () => {
    const err = thrown(() => checkPluginManifest({ ...valid, plexi: '^2.0.0' }))
    expect(err.message).to.include(PLUGIN_API_VERSION)
  })

  it('should find the entry in the package, refusing a missing file, a folder, a link out of it and a command that cannot run', async () => {
    const dir = await tempDir()
    const outside = await tempDir()
    try {
      const pkg = join(dir.path, 'pkg')
      await mkdir(join(pkg, 'bin'), { recursive: true })
      await writeFile(join(pkg, 'main.js'), '')
      await writeFile(join(pkg, 'bin', 'serve'), '#!/bin/sh\n')
      await writeFile(join(outside.path, 'evil.js'), '')
      await symlink(join(outside.path, 'evil.js'), join(pkg, 'link.js'))
      const opts = { packageDir: pkg }
      expect(checkPluginManifest(valid, opts).entry).to.deep.equal({ node: 'main.js' })
      expect(refusedField({ ...valid, entry: { node: 'gone.js' } }, opts)).to.equal('entry.node')
      expect(refusedField({ ...valid, entry: { node: 'bin' } }, opts)).to.equal('entry.node')
      expect(thrown(() => checkPluginManifest({ ...valid, entry: { node: 'link.js' } }, opts)).message).to.include('outside the package')
      expect(thrown(() => checkPluginManifest({ ...valid, entry: { command: 'bin/serve' } }, opts)).message).to.include('not executable')
      await chmod(join(pkg, 'bin', 'serve'), 0o755)
      expect(checkPluginManifest({ ...valid, entry: { command: 'bin/serve' } }, opts).entry).to.deep.equal({ command: 'bin/serve' })
    } finally {
      await dir.remove()
      await outside.remove()
    }
  })
})
