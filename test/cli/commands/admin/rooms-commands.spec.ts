import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../../../actors/index.ts'
import { retentionSetting } from '../../../../cli/commands/admin/rooms-commands.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('roomsCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  const post = async (room: string, user: string, text: string): Promise<PostAck> =>
    await cli.fixture.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }))

  it('should list rooms, and redact any post as an admin', async () => {
    await post('general', 'alice', 'oops')
    expect((await cli.run('rooms')).stdout).to.match(/^general\s+\d{4}-.*alice\s+yes$/m)
    const redacted = await cli.run('rooms', 'redact', 'general', '1')
    expect(redacted.code, redacted.stderr).to.equal(0)
    expect(redacted.stdout).to.equal('redacted #1 in general (redaction #2)\n')
    expect((await cli.run('rooms', 'redact', 'general', '1')).stdout).to.equal('#1 in general was redacted already\n')
    const history = await cli.fixture.system.entity(chatRoom, 'general').ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }))
    expect(history[0]).to.include({ text: '', redacted: true })
    expect((await cli.run('rooms', 'redact', 'general', '0')).code).to.equal(2)
  })

  it('should set a room\'s retention, show it beside the default, and run the job', async () => {
    expect((await cli.run('rooms', 'retention', 'general', '--days', '30', '--posts', '500')).stdout).to.equal('general keeps the last 30 days and the last 500 records\n')
    expect((await cli.run('rooms', 'retention', 'archive', '--off')).stdout).to.equal('archive keeps everything\n')
    const shown = await cli.run('retention')
    expect(shown.stdout).to.match(/^default: keep forever\nROOM\s+KEEPS\ngeneral\s+the last 30 days and the last 500 records\narchive\s+everything\n$/)
    expect((await cli.run('rooms', 'retention', 'general', '--default')).stdout).to.equal('general follows the default: keep forever\n')
    for (let i = 0; i < 5; i++) await post('trimmed', 'bob', `line ${i}`)
    await cli.run('rooms', 'retention', 'trimmed', '--posts', '2')
    const run = await cli.run('retention', 'run')
    expect(run.code, run.stderr).to.equal(0)
    const history = await cli.fixture.system.entity(chatRoom, 'trimmed').ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }))
    expect(history.map((m) => m.seq)).to.deep.equal([4, 5])
  })

  it('should take exactly one kind of retention from the flags', () => {
    expect(retentionSetting({ days: '7' })).to.deep.equal({ days: 7 })
    expect(retentionSetting({ off: true })).to.equal('forever')
    expect(retentionSetting({ default: true })).to.equal(null)
    expect(() => retentionSetting({})).to.throw(/one of/)
    expect(() => retentionSetting({ off: true, days: '3' })).to.throw(/one of/)
    expect(() => retentionSetting({ days: '0' })).to.throw(/--days/)
  })
})
