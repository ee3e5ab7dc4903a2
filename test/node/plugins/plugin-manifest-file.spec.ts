import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readPluginManifest } from '../../../node/plugins/index.ts'
import { InvalidPluginManifestError } from '../../../protocols/index.ts'
import { PROBE_DIR } from '../../helpers/plugin-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('plugin manifest file', () => {
  it('should read and check a package\'s manifest', async () => {
    expect(await readPluginManifest(PROBE_DIR)).to.deep.include({ name: 'probe', version: '1.0.0', entry: { node: 'probe.mjs' } })
  })

  it('should refuse a package without one, one too large, one that is not JSON, or one whose entry is not there', async () => {
    const dir = await tempDir()
    try {
      const field = async (): Promise<string> => {
        const err = await rejection(() => readPluginManifest(dir.path))
        expect(err).to.be.instanceOf(InvalidPluginManifestError)
        return `${(err as InvalidPluginManifestError).field}: ${err.message}`
      }
      expect(await field()).to.match(/^\(file\): .*no plexi-plugin.json at the package's root \(ENOENT\)/)
      await writeFile(join(dir.path, 'plexi-plugin.json'), ' '.repeat(70_000))
      expect(await field()).to.match(/over 65536/)
      await writeFile(join(dir.path, 'plexi-plugin.json'), '{ "name": ')
      expect(await field()).to.match(/not JSON/)
      await writeFile(join(dir.path, 'plexi-plugin.json'), JSON.stringify({ name: 'x', version: '1.0.0', description: '', plexi: '^1.0.0', entry: { node: 'main.js' }, permissions: {} }))
      expect(await field()).to.match(/^entry.node: /)
    } finally {
      await dir.remove()
    }
  })
})
