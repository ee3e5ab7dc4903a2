import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'
import { loneBackups } from '../../../helpers/lone-backups.ts'

describe('backupsCommands', function () {
  this.timeout(30_000)
  const cli = new AdminCli()
  let close: (() => Promise<void>) | undefined
  // backups need a member that holds the backup role: this node
  beforeEach(async () => { await cli.setup({ roles: ['chat', 'backup'] }) })
  afterEach(async () => {
    await cli.teardown()
    await close?.()
    close = undefined
  })
  const withBackups = async (): Promise<void> => {
    const backups = await loneBackups(cli.fixture)
    close = backups.close
    cli.fixture.backups = backups.service
    await cli.rebuild()
  }

  it('should make a backup and follow it, then list it, show it, verify it and remove it', async () => {
    await withBackups()
    await cli.fixture.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    expect((await cli.run('backup')).stdout).to.equal('no backups yet: plexi admin backup create\n')
    const made = await cli.run('backup', 'create', '--note', 'first')
    expect(made.code, made.stderr).to.equal(0)
    const [entry] = JSON.parse((await cli.run('backup', 'ls', '--json')).stdout) as Array<{ id: string, note: string, state: string }>
    expect(entry).to.include({ note: 'first', state: 'done' })
    const id = entry?.id ?? ''
    expect((await cli.run('backup', 'ls')).stdout).to.match(new RegExp(`^ID\\s+STATE\\s+STARTED\\s+ENTITIES\\s+SIZE\\s+NEW\\s+KEY\\s+NOTE\\n${id}\\s+done\\s+\\S+Z\\s+\\d+\\s+\\d+\\.\\d MiB\\s+\\d+\\.\\d MiB\\s+[0-9a-f]{16}\\s+first\\n$`))
    const shown = await cli.run('backup', 'show', id)
    expect(shown.stdout).to.match(new RegExp(`^${id}: done, made by 12D3KooWTest with key [0-9a-f]{16}\\nstarted \\S+, ended \\S+; note: first\\n`))
    expect(shown.stdout).to.match(/\nroot [0-9a-f]{64}; manifest \S+ on 12D3KooWTest\n$/)
    expect((await cli.run('backup', 'verify', id)).code).to.equal(0)
    expect((await cli.run('backup', 'sweep', '--dry-run')).code).to.equal(0)
    expect((await cli.run('backup', 'rm', id)).stdout).to.match(new RegExp(`^removed ${id}: \\d+ chunks \\(\\d+\\.\\d MiB\\) no other backup names\\n$`))
    expect(JSON.parse((await cli.run('backup', 'ls', '--json')).stdout)).to.deep.equal([])
  })

  it('should start a job without following it, and refuse a note too long as a usage error', async () => {
    await withBackups()
    const started = await cli.run('backup', 'create', '--no-wait')
    expect(started.stdout).to.match(/^backup-1-Test started: .+; follow it with plexi admin jobs backup-1-Test --watch\n$/)
    const long = await cli.run('backup', 'create', '--note', 'x'.repeat(1001))
    expect([long.code, long.stderr]).to.deep.equal([2, 'plexi: --note: at most 1000 characters, got 1001\n'])
  })

  it('should pass on the refusal of a node that keeps no backups, exit 1', async () => {
    const refused = await cli.run('backup', 'ls')
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.include('this node keeps no backups')
  })
})
