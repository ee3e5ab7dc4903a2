import { expect } from 'chai'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKey } from '@libp2p/pnet'
import { readClusterKey } from '../../../node/mesh/cluster-key-file.ts'
import { PSK_HEADER } from '../../../node/mesh/constants.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('readClusterKey', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should read the key file `plexi cluster keygen` writes as the pnet key libp2p takes, whatever its line ends', async () => {
    const key = new Uint8Array(95)
    generateKey(key)
    const text = new TextDecoder().decode(key)
    expect(text.startsWith(PSK_HEADER)).to.equal(true)
    await writeFile(join(dir.path, 'unix.key'), key, { mode: 0o600 })
    await writeFile(join(dir.path, 'dos.key'), `${text.trim().split('\n').join('\r\n')}\r\n`, { mode: 0o600 })
    const read = await readClusterKey(join(dir.path, 'unix.key'))
    expect(new TextDecoder().decode(read)).to.equal(`${text.trim()}\n`)
    expect(await readClusterKey(join(dir.path, 'dos.key'))).to.deep.equal(read)
  })

  it('should refuse a cluster key file that is not one, saying what it expects', async () => {
    await writeFile(join(dir.path, 'bad.key'), 'hello\n', { mode: 0o600 })
    const err = await readClusterKey(join(dir.path, 'bad.key')).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('ClusterKeyError')
    expect(err?.message).to.match(/expected the three lines that `plexi cluster keygen` prints/)
    expect(err?.message).to.not.include('hello')
    const missing = await readClusterKey(join(dir.path, 'nope.key')).then(() => undefined, (e: Error) => e)
    expect(missing?.message).to.match(/cannot read the cluster key file/)
  })

  it('should refuse a cluster key file that group or others may read, as ssh refuses such a private key', async () => {
    const file = join(dir.path, 'open.key')
    const key = new Uint8Array(95)
    generateKey(key)
    await writeFile(file, key, { mode: 0o600 })
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      await chmod(file, mode)
      const err = await readClusterKey(file).then(() => undefined, (e: Error) => e)
      expect(err?.name, mode.toString(8)).to.equal('ClusterKeyError')
      expect(err?.message).to.equal(`permissions 0${mode.toString(8)} on ${file} are too open: chmod 600 ${file} (whoever reads the cluster key can join the cluster)`)
    }
    for (const mode of [0o600, 0o400]) {
      await chmod(file, mode)
      expect(await readClusterKey(file), mode.toString(8)).to.have.length(96)
    }
  })
})
