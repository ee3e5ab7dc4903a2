import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { expect } from 'chai'
import { ADMIN_TOKEN_FILE } from '../../../node/constants.ts'
import { hashToken, newToken, resolveAdminToken, tokenMatches } from '../../../node/identity/index.ts'
import { rejection } from '../../helpers/thrown.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('admin token', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should create a token in a file of mode 0600 on first start, and read the same one back after, when none is configured', async () => {
    const first = await resolveAdminToken(dir.path, undefined)
    const path = join(dir.path, ADMIN_TOKEN_FILE)
    expect(first).to.deep.include({ source: 'created', path })
    expect(first.token).to.match(/^plxa_[A-Za-z0-9_-]{43}$/)
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    expect((await readFile(path, 'utf8')).trim()).to.equal(first.token)
    expect(await resolveAdminToken(dir.path, undefined)).to.deep.equal({ token: first.token, source: 'file', path })
  })

  it('should take the configured token over the file, touching nothing, when one is configured', async () => {
    expect(await resolveAdminToken(dir.path, 'configured-token-0123456789')).to.deep.include({ token: 'configured-token-0123456789', source: 'config' })
    expect(await stat(join(dir.path, ADMIN_TOKEN_FILE)).then(() => true, () => false)).to.equal(false)
  })

  it('should refuse a file that others may read or that holds no usable token, saying what to do', async () => {
    const path = join(dir.path, ADMIN_TOKEN_FILE)
    await writeFile(path, 'short\n', { mode: 0o600 })
    const empty = await rejection(async () => await resolveAdminToken(dir.path, undefined))
    expect([empty.name, empty.message]).to.deep.equal(['AdminTokenFileError', `${path} holds no usable token (at least 16 characters); delete it to get a new one`])
    await writeFile(path, 'a-long-enough-token-0123456789\n')
    await chmod(path, 0o644)
    const open = await rejection(async () => await resolveAdminToken(dir.path, undefined))
    expect([open.name, open.message]).to.deep.equal(['AdminTokenFileError', `permissions 0644 on ${path} are too open: chmod 600 ${path}`])
  })

  it('should make random tokens with their prefix, store only their SHA-256, and compare tokens by value', () => {
    const a = newToken('plxu')
    expect(a).to.match(/^plxu_[A-Za-z0-9_-]{43}$/)
    expect(newToken('plxu')).to.not.equal(a)
    expect(hashToken(a)).to.equal(createHash('sha256').update(a).digest('hex'))
    expect(tokenMatches(a, a)).to.equal(true)
    expect(tokenMatches(a, `${a}x`)).to.equal(false)
    expect(tokenMatches('', a)).to.equal(false)
  })
})
