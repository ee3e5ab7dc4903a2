import { expect } from 'chai'
import { createHmac, hkdfSync } from 'node:crypto'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { format, inspect } from 'node:util'
import {
  BackupKey, BackupKeyExistsError, BackupKeyFormatError, BackupKeyMissingError, BackupKeyPermissionsError,
  BackupKeyUnreadableError, InvalidBackupInputError, generateBackupKey, isChunkId, loadBackupKey, writeBackupKeyFile
} from '../../../node/backup/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection, thrown } from '../../helpers/thrown.ts'

const POSIX = process.platform !== 'win32'
const ROOT = process.getuid?.() === 0
const BYTES = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1))
const LINE = `plexi-backup-key-1:${BYTES.toString('base64url')}`

describe('BackupKey', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir('plexi-backup-key-') })
  afterEach(async () => { await dir.remove() })

  async function keyFile (text: string, mode = 0o600): Promise<string> {
    const path = join(dir.path, 'backup.key')
    await writeFile(path, text, { mode })
    await chmod(path, mode)
    return path
  }

  it('should generate one line of the format prefix and 32 random bytes, another each time', () => {
    const a = generateBackupKey()
    const b = generateBackupKey()
    expect(a).to.match(/^plexi-backup-key-1:[A-Za-z0-9_-]{43}\n$/)
    expect(Buffer.from(a.slice(19, -1), 'base64url')).to.have.length(32)
    expect(a).to.not.equal(b)
  })

  it('should write a new key file with mode 0600 and load the same key back from it', async () => {
    const path = join(dir.path, 'backup.key')
    const written = await writeBackupKeyFile(path)
    if (POSIX) expect((await stat(path)).mode & 0o777).to.equal(0o600)
    expect(await readFile(path, 'utf8')).to.match(/^plexi-backup-key-1:[A-Za-z0-9_-]{43}\n$/)
    const loaded = await loadBackupKey(path)
    expect(loaded.fingerprint).to.equal(written.fingerprint)
    expect(loaded.chunkId(Buffer.from('x'))).to.equal(written.chunkId(Buffer.from('x')))
  })

  it('should refuse to overwrite a file when asked to write a new key there', async () => {
    const path = await keyFile(`${LINE}\n`)
    const err = await rejection(() => writeBackupKeyFile(path))
    expect(err).to.be.instanceOf(BackupKeyExistsError)
    expect(err.name).to.equal('BackupKeyExistsError')
    expect((err as BackupKeyExistsError).kind).to.equal('conflict')
    expect(err.message).to.include(path)
    expect(await readFile(path, 'utf8')).to.equal(`${LINE}\n`)
  })

  it('should load a key with or without trailing whitespace and newlines', async () => {
    const expected = new BackupKey(BYTES).fingerprint
    for (const text of [LINE, `${LINE}\n`, `${LINE}\r\n`, `${LINE}  \n\n`, `${LINE}\t`]) {
      expect((await loadBackupKey(await keyFile(text))).fingerprint).to.equal(expected)
    }
  })

  it('should refuse a missing file, naming the path and what to do', async () => {
    const path = join(dir.path, 'nowhere.key')
    const err = await rejection(() => loadBackupKey(path))
    expect(err).to.be.instanceOf(BackupKeyMissingError)
    expect((err as BackupKeyMissingError).kind).to.equal('not-found')
    expect(err.message).to.include(path).and.to.include('plexi-backup-key-1')
  })

  it('should refuse a key file that group or others may access, as ssh does', async function () {
    if (!POSIX) this.skip()
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o601, 0o610]) {
      const path = await keyFile(`${LINE}\n`, mode)
      const err = await rejection(() => loadBackupKey(path))
      expect(err).to.be.instanceOf(BackupKeyPermissionsError)
      expect(err.message).to.equal(`permissions ${mode.toString(8).padStart(4, '0')} on ${path} are too open: chmod 600 ${path}`)
    }
    expect((await loadBackupKey(await keyFile(`${LINE}\n`, 0o400))).fingerprint).to.equal(new BackupKey(BYTES).fingerprint)
  })

  it('should refuse a key file this process may not read', async function () {
    if (!POSIX || ROOT) this.skip()
    const path = await keyFile(`${LINE}\n`, 0o000)
    const err = await rejection(() => loadBackupKey(path))
    expect(err).to.be.instanceOf(BackupKeyUnreadableError)
    expect(err.message).to.include(path)
  })

  it('should refuse a directory in place of a key file', async () => {
    const path = join(dir.path, 'a-dir')
    await mkdir(path, { mode: 0o700 })
    const err = await rejection(() => loadBackupKey(path))
    expect(err).to.be.instanceOf(BackupKeyFormatError)
    expect(err.message).to.include('not a file')
  })

  it('should refuse text that is not one key line, saying what was expected and found but never quoting it', async () => {
    const body = BYTES.toString('base64url')
    const cases: Array<[string, RegExp]> = [
      ['', /an empty file/],
      ['\n \n', /an empty file/],
      [`${LINE}\n${LINE}\n`, /2 lines/],
      [`plexi-backup-key-2:${body}`, /format 'plexi-backup-key-2'/],
      [body, /no 'plexi-backup-key-1:' at the start/],
      [` ${LINE}`, /no 'plexi-backup-key-1:' at the start/],
      [`plexi-backup-key-1:${body.slice(0, 42)}`, /42 characters/],
      [`plexi-backup-key-1:${body}A`, /44 characters/],
      [`plexi-backup-key-1:${Buffer.alloc(33, 9).toString('base64url')}`, /44 characters/],
      [`plexi-backup-key-1:${body.slice(0, 42)}+`, /not base64url/],
      [`plexi-backup-key-1:${body}==`, /not base64url/],
      [`plexi-backup-key-1:${body.slice(0, 42)}${String.fromCharCode(body.charCodeAt(42) + 1)}`, /last character/]
    ]
    for (const [text, why] of cases) {
      const err = await rejection(async () => loadBackupKey(await keyFile(text)))
      expect(err, JSON.stringify(text)).to.be.instanceOf(BackupKeyFormatError)
      expect(err.message).to.match(why).and.to.include('expected one line')
      expect(err.message).to.not.include(body.slice(0, 20))
      expect(thrown(() => BackupKey.parse(text)).name).to.equal('BackupKeyFormatError')
    }
  })

  it('should refuse a file far larger than a key without reading it whole', async () => {
    const err = await rejection(async () => loadBackupKey(await keyFile(`${LINE}\n${'x'.repeat(5000)}`)))
    expect(err).to.be.instanceOf(BackupKeyFormatError)
    expect(err.message).to.include('more than 1024 bytes')
  })

  it('should refuse arguments of the wrong type with InvalidBackupInputError', async () => {
    for (const path of ['', 7, undefined, 'a\0b']) {
      expect(await rejection(() => loadBackupKey(path as string))).to.be.instanceOf(InvalidBackupInputError)
      expect(await rejection(() => writeBackupKeyFile(path as string))).to.be.instanceOf(InvalidBackupInputError)
    }
    for (const bytes of [Buffer.alloc(31), Buffer.alloc(33), 'x'.repeat(32), null, [1, 2]]) {
      expect(thrown(() => new BackupKey(bytes as Uint8Array))).to.be.instanceOf(InvalidBackupInputError)
    }
    expect(thrown(() => BackupKey.parse(7 as unknown as string))).to.be.instanceOf(InvalidBackupInputError)
    const key = new BackupKey(BYTES)
    expect(thrown(() => key.chunkId('text' as unknown as Uint8Array))).to.be.instanceOf(InvalidBackupInputError)
    for (const id of ['', 'ab', 'A'.repeat(64), 'g'.repeat(64), '0'.repeat(63), '0'.repeat(65), 42]) {
      const err = thrown(() => key.chunkKey(id as string))
      expect(err).to.be.instanceOf(InvalidBackupInputError)
      expect((err as InvalidBackupInputError).kind).to.equal('invalid')
    }
  })

  it('should derive the fingerprint, chunk ids and chunk keys with HKDF-SHA256 under their info strings', () => {
    const key = new BackupKey(BYTES)
    const derive = (info: string, n: number): Buffer => Buffer.from(hkdfSync('sha256', BYTES, Buffer.alloc(0), info, n))
    expect(key.fingerprint).to.equal(derive('plexi-backup key-fingerprint', 8).toString('hex'))
    const content = Buffer.from('hello, backups')
    const id = createHmac('sha256', derive('plexi-backup chunk-id', 32)).update(content).digest('hex')
    expect(key.chunkId(content)).to.equal(id)
    expect(key.chunkKey(id).export()).to.deep.equal(derive(`plexi-backup chunk-key\0${id}`, 32))
  })

  it('should give equal content one id under one key, and other ids for other content or another key', () => {
    const key = new BackupKey(BYTES)
    const other = BackupKey.parse(generateBackupKey())
    const a = key.chunkId(Buffer.from('same'))
    expect(isChunkId(a)).to.equal(true)
    expect(key.chunkId(new Uint8Array(Buffer.from('same')))).to.equal(a)
    expect(key.chunkId(Buffer.from('Same'))).to.not.equal(a)
    expect(other.chunkId(Buffer.from('same'))).to.not.equal(a)
    expect(other.fingerprint).to.match(/^[0-9a-f]{16}$/)
    expect(other.fingerprint).to.not.equal(key.fingerprint)
    expect(key.chunkKey(a).equals(key.chunkKey(a))).to.equal(true)
    expect(key.chunkKey(a).equals(key.chunkKey(key.chunkId(Buffer.from('Same'))))).to.equal(false)
    expect(key.chunkKey(a).equals(other.chunkKey(a))).to.equal(false)
  })

  it('should keep its own copy of the key bytes: wiping the caller\'s changes nothing', () => {
    const bytes = Buffer.from(BYTES)
    const key = new BackupKey(bytes)
    const id = key.chunkId(Buffer.from('x'))
    bytes.fill(0)
    expect(key.chunkId(Buffer.from('x'))).to.equal(id)
    expect(key.fingerprint).to.equal(new BackupKey(BYTES).fingerprint)
  })

  it('should never print its key material: JSON, String, template strings and util.inspect show the fingerprint only', () => {
    const key = new BackupKey(BYTES)
    const redacted = `BackupKey(${key.fingerprint})`
    const shown = [
      JSON.stringify(key), JSON.stringify({ key }), String(key), `${key}`, key + '', inspect(key),
      inspect({ nested: [key] }, { showHidden: true, depth: Infinity, getters: true }), format('%o %O %s %j', key, key, key, key),
      JSON.stringify(Object.entries(key)), JSON.stringify(structuredClone({ ...key }))
    ]
    expect(String(key)).to.equal(redacted)
    expect(JSON.stringify(key)).to.equal(JSON.stringify(redacted))
    expect(inspect(key)).to.equal(redacted)
    for (const text of shown) {
      for (const secret of [BYTES.toString('base64url'), BYTES.toString('base64'), BYTES.toString('hex'), BYTES.toString('latin1')]) {
        expect(text).to.not.include(secret.slice(0, 16))
      }
    }
  })
})
