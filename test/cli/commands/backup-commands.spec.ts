import { expect } from 'chai'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { loadBackupKey } from '../../../node/backup/index.ts'
import { runCli } from '../../helpers/node-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('backupCommands', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should make a backup key file of mode 0600 with backup keygen, never overwrite one, and refuse usage errors', async () => {
    const file = join(dir.path, 'backup.key')
    const made = await runCli(['backup', 'keygen', '--out', file, '--json'])
    expect(made.code, made.stderr).to.equal(0)
    const printed = JSON.parse(made.stdout) as { file: string, fingerprint: string }
    expect(printed.file).to.equal(file)
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    expect((await loadBackupKey(file)).fingerprint).to.equal(printed.fingerprint)
    const text = await readFile(file, 'utf8')
    const again = await runCli(['backup', 'keygen', '--out', file])
    expect(again.code).to.equal(2)
    expect(again.stderr).to.match(/exists: a key is never overwritten/)
    expect(await readFile(file, 'utf8'), 'the key is untouched').to.equal(text)
    const human = await runCli(['backup', 'keygen', '--out', join(dir.path, 'second.key')])
    expect(human.stdout).to.match(/^wrote .*second\.key \(mode 0600\): backup key [0-9a-f]{16}\nKeep a copy of this file offline/)
    expect((await runCli(['backup', 'keygen'])).code, '--out is required').to.equal(2)
  })
})
