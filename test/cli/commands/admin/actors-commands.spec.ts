import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('actorsCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should list the live actors of a type as a table, and as JSON', async () => {
    await cli.fixture.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    const table = await cli.run('actors', '--type', 'room')
    expect(table.stdout).to.match(/^KIND\s+PATH\s+STATUS\s+MAILBOX\s+NODE\nroom\s+\/entities\/room\/general\s+running\s+0\s+12D3KooWTest\n$/)
    expect(JSON.parse((await cli.run('actors', '--type', 'room', '--json')).stdout)).to.deep.equal([{ kind: 'room', path: '/entities/room/general', key: 'general', status: 'running', mailbox: 0, node: '12D3KooWTest' }])
  })

  it('should list the entities alone unless --all, saying it left the system actors out, and show a system kind asked for by --type', async () => {
    await cli.fixture.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    type Row = { kind: string, key: string | null }
    const all = JSON.parse((await cli.run('actors', '--all', '--json')).stdout) as Row[]
    const system = all.filter((a) => a.key === null)
    expect(system.length, 'the node runs system actors').to.be.greaterThan(0)
    const entities = JSON.parse((await cli.run('actors', '--json')).stdout) as Row[]
    expect(entities.length).to.equal(all.length - system.length)
    expect(entities.every((a) => a.key !== null)).to.equal(true)
    expect(entities.map((a) => `${a.kind}/${a.key}`)).to.include('room/general')
    const table = await cli.run('actors')
    expect(table.stdout).to.include('/entities/room/general')
    expect(table.stdout).not.to.match(/entity-region/)
    expect(table.stderr).to.equal('(system actors not shown: --all shows them)\n')
    const kind = (system[0] as Row).kind
    const asked = JSON.parse((await cli.run('actors', '--type', kind, '--json')).stdout) as Row[]
    expect(asked.length).to.be.greaterThan(0)
    expect(asked.every((a) => a.kind === kind)).to.equal(true)
  })
})

describe('migrateCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should take an entity as TYPE/KEY (a usage error otherwise), and pass on the node\'s refusal', async () => {
    for (const entity of ['general', '/general', 'room/']) {
      const refused = await cli.run('migrate', entity, '--to', '12D3KooWb')
      expect([refused.code, refused.stderr], entity).to.deep.equal([2, `plexi: migrate: expected TYPE/KEY such as room/general, got ${JSON.stringify(entity)}\n`])
    }
    expect((await cli.run('migrate', 'room/general')).code, 'no --to').to.equal(2)
    const unavailable = await cli.run('migrate', 'room/general', '--to', '12D3KooWb')
    expect(unavailable.code).to.equal(1)
    expect(unavailable.stderr).to.include('this node does not move entities (it runs without a cluster key)')
  })
})
