import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'
import { loneBackups } from '../../../helpers/lone-backups.ts'

describe('restoreCommand', function () {
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

  it('should run a dry run to its end and list what would change, then restore', async () => {
    const backups = await loneBackups(cli.fixture)
    close = backups.close
    cli.fixture.backups = backups.service
    await cli.rebuild()
    await cli.fixture.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    await cli.run('backup', 'create')
    const [entry] = JSON.parse((await cli.run('backup', 'ls', '--json')).stdout) as Array<{ id: string }>
    const id = entry?.id ?? ''
    const dry = await cli.run('restore', id, '--room', 'general', '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).to.match(/^ {2}room\/general: .+$/m)
    expect((await cli.run('restore', id, '--room', 'general')).code).to.equal(0)
  })

  it('should refuse one room and one user, or a time that is none, as usage errors asking nothing of the node', async () => {
    const both = await cli.run('restore', 'bk-x', '--room', 'general', '--user', 'alice')
    expect([both.code, both.stderr]).to.deep.equal([2, 'plexi: restore: --room or --user, not both (neither: everything)\n'])
    const since = await cli.run('restore', 'bk-x', '--since', 'yesterday')
    expect([since.code, since.stderr]).to.deep.equal([2, 'plexi: --since: expected an ISO 8601 time such as 2026-11-24T09:00:00Z, got "yesterday"\n'])
    const refused = await cli.run('restore', 'bk-x')
    expect(refused.code, 'a node that keeps no backups').to.equal(1)
  })
})
