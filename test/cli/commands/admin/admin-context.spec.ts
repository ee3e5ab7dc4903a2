import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { adminContext } from '../../../../cli/commands/admin/admin-context.ts'
import type { CliIo } from '../../../../cli/cli-io.ts'
import { ADMIN_TOKEN } from '../../../helpers/admin-fixture.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'
import { loneBackups } from '../../../helpers/lone-backups.ts'

describe('adminContext', () => {
  const cli = new AdminCli()
  let out = ''
  let io: CliIo
  let closeBackups: (() => Promise<void>) | undefined
  beforeEach(async () => {
    await cli.setup({ roles: ['chat', 'backup'] })
    out = ''
    const stdout = new Writable({ write (chunk: Buffer, _encoding, done) { out += chunk.toString(); done() } })
    const stderr = new Writable({ write (_chunk: Buffer, _encoding, done) { done() } })
    io = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: cli.fixture.dataDir }
  })
  afterEach(async () => {
    await cli.teardown()
    await closeBackups?.()
    closeBackups = undefined
  })

  it('should reach the node the flags name, beside it when its token came from the data dir', async () => {
    const cx = adminContext(io)
    const given = await cx.client({ adminAddr: cli.endpoint, adminToken: ADMIN_TOKEN, dataDir: cli.fixture.dataDir })
    expect(given.local).to.equal(false)
    expect(await given.api.request('GET', '/api/v1/users')).to.deep.equal([])
    await writeFile(join(cli.fixture.dataDir, 'admin-token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 })
    const beside = await cx.client({ adminAddr: cli.endpoint, dataDir: cli.fixture.dataDir })
    expect([beside.local, beside.dataDir]).to.deep.equal([true, cli.fixture.dataDir])
    expect(await beside.api.request('GET', '/api/v1/users')).to.deep.equal([])
  })

  it('should start a job and say how to follow it, or follow it to its end and exit by how it ended', async () => {
    const backups = await loneBackups(cli.fixture)
    closeBackups = backups.close
    cli.fixture.backups = backups.service
    await cli.rebuild()
    const cx = adminContext(io)
    const flags = { adminAddr: cli.endpoint, adminToken: ADMIN_TOKEN, dataDir: cli.fixture.dataDir }
    const before = process.exitCode
    try {
      await cx.startJob({ ...flags, wait: false }, '/api/v1/backups/sweep', { dryRun: true })
      expect(out).to.match(/^sweep-1-Test started: .+; follow it with plexi admin jobs sweep-1-Test --watch\n$/)
      process.exitCode = undefined
      out = ''
      await cx.startJob({ ...flags, json: true }, '/api/v1/backups/sweep', { dryRun: true })
      expect(process.exitCode).to.equal(0)
      expect(out.trim().split('\n').map((l) => (JSON.parse(l) as { id?: string }).id).filter((id) => id !== undefined).at(-1)).to.equal('sweep-2-Test')
    } finally {
      process.exitCode = before
    }
  })
})
