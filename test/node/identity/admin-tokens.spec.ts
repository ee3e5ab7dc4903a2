import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { ADMIN_TOKENS_FILE, AdminTokens, MAX_ADMIN_TOKENS, hashToken } from '../../../node/identity/index.ts'
import { rejection } from '../../helpers/thrown.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('AdminTokens', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should start with none, make a token shown once and kept as its hash, and match it by value, when one is added', async () => {
    const tokens = await AdminTokens.open(dir.path)
    expect(tokens.list()).to.deep.equal([])
    const { entry, token } = await tokens.add('ci', 'read')
    expect(entry).to.deep.include({ name: 'ci', scope: 'read', tokenHash: hashToken(token) })
    expect(tokens.match(token)).to.deep.equal(entry)
    expect(tokens.match('plxa_other')).to.equal(undefined)
    const file = await readFile(join(dir.path, ADMIN_TOKENS_FILE), 'utf8')
    expect(file).to.include(hashToken(token)).and.not.include(token)
    expect((await stat(join(dir.path, ADMIN_TOKENS_FILE))).mode & 0o777).to.equal(0o600)
  })

  it('should refuse a name taken and an unknown name with their own errors, changing nothing', async () => {
    const tokens = await AdminTokens.open(dir.path)
    await tokens.add('ops', 'admin')
    const taken = await rejection(async () => await tokens.add('ops', 'read'))
    expect([taken.name, (taken as { kind?: string }).kind]).to.deep.equal(['AdminTokenExistsError', 'conflict'])
    const unknown = await rejection(async () => await tokens.remove('nobody'))
    expect([unknown.name, (unknown as { kind?: string }).kind]).to.deep.equal(['UnknownAdminTokenError', 'not-found'])
    expect(tokens.list().map((e) => [e.name, e.scope])).to.deep.equal([['ops', 'admin']])
  })

  it('should stop a token at once and forget it on disk, when it is removed', async () => {
    const tokens = await AdminTokens.open(dir.path)
    const { token } = await tokens.add('gone', 'admin')
    await tokens.add('kept', 'read')
    expect((await tokens.remove('gone')).name).to.equal('gone')
    expect(tokens.match(token)).to.equal(undefined)
    expect((await AdminTokens.open(dir.path)).list().map((e) => e.name)).to.deep.equal(['kept'])
  })

  it('should write changes made at once one after the other, losing none, when they overlap', async () => {
    const tokens = await AdminTokens.open(dir.path)
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(async (name) => await tokens.add(name, 'read')))
    expect((await AdminTokens.open(dir.path)).list().map((e) => e.name)).to.deep.equal(['a', 'b', 'c', 'd', 'e'])
  })

  it('should keep at most MAX_ADMIN_TOKENS, refusing one more with AdminTokenLimitError', async () => {
    const tokens = await AdminTokens.open(dir.path)
    for (let i = 0; i < MAX_ADMIN_TOKENS; i++) await tokens.add(`t${i}`, 'read')
    expect((await rejection(async () => await tokens.add('one-more', 'read'))).name).to.equal('AdminTokenLimitError')
  })

  it('should refuse to open a file that is not JSON, saying what to do', async () => {
    const file = join(dir.path, ADMIN_TOKENS_FILE)
    await writeFile(file, 'not json', { mode: 0o600 })
    expect((await rejection(async () => await AdminTokens.open(dir.path))).message).to.equal(`${file} is not valid JSON: restore it, or delete it to revoke every named admin token`)
  })
})

describe('AdminTokens: the file', () => {
  it('should refuse a file others may read, or one that is not a list of tokens, saying what to do', async () => {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'admin-tokens.json')
      await writeFile(file, '[]\n', { mode: 0o644 })
      const open = await AdminTokens.open(dir.path).then(() => null, (e: Error) => e)
      expect(open?.message).to.equal(`permissions 0644 on ${file} are too open: chmod 600 ${file}`)
      await writeFile(file, '{"not":"a list"}\n', { mode: 0o600 })
      const { chmod } = await import('node:fs/promises')
      await chmod(file, 0o600)
      const bad = await AdminTokens.open(dir.path).then(() => null, (e: Error) => e)
      expect(bad?.message).to.match(/is not a list of admin tokens: restore it, or delete it to revoke every named admin token$/)
    } finally {
      await dir.remove()
    }
  })
})
