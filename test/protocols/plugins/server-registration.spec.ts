import { expect } from 'chai'
import { InvalidServerRegistrationError, checkServerRegistration, serverView } from '../../../protocols/plugins/index.ts'
import { thrown } from '../../helpers/thrown.ts'

const stdio = { name: 'github', description: 'issues', transport: { kind: 'stdio', command: 'npx', args: ['-y', 'gh-mcp'], env: { GH_TOKEN: 'ghp_secret' }, network: true, memoryMiB: 128 }, callDeadlineMs: 5_000 }
const http = { name: 'search', description: '', transport: { kind: 'http', url: 'https://mcp.example.com/mcp', auth: { kind: 'client-credentials', clientId: 'id', clientSecret: 'shh', scope: 'read', issuer: 'https://auth.example.com' } } }

function refused (value: unknown): string {
  const err = thrown(() => checkServerRegistration(value))
  expect(err).to.be.instanceOf(InvalidServerRegistrationError)
  return (err as InvalidServerRegistrationError).field
}

describe('server registration', () => {
  it('should take valid registrations field for field', () => {
    expect(checkServerRegistration(stdio)).to.deep.equal(stdio)
    expect(checkServerRegistration(http)).to.deep.equal(http)
    expect(checkServerRegistration({ name: 'a', transport: { kind: 'http', url: 'http://x/mcp' } })).to.deep.equal({ name: 'a', description: '', transport: { kind: 'http', url: 'http://x/mcp' } })
    expect(checkServerRegistration({ name: 'b', transport: { kind: 'http', url: 'http://x', auth: { kind: 'token', token: 't' } } }).transport).to.deep.equal({ kind: 'http', url: 'http://x', auth: { kind: 'token', token: 't' } })
    expect(checkServerRegistration({ name: 'c', transport: { kind: 'stdio', command: '/usr/bin/srv' } }).transport).to.deep.equal({ kind: 'stdio', command: '/usr/bin/srv' })
  })

  it('should refuse each bad field, naming it', () => {
    const t = (transport: unknown): unknown => ({ name: 'x', transport })
    const cases: Array<[unknown, string]> = [
      [null, '(root)'], [{ ...stdio, name: 'GitHub' }, 'name'], [{ ...stdio, extra: 1 }, 'extra'], [{ ...stdio, description: 'd'.repeat(2_000) }, 'description'],
      [{ ...stdio, callDeadlineMs: 60_000 }, 'callDeadlineMs'], [t({ kind: 'ws' }), 'transport.kind'], [t('npx'), 'transport'],
      [t({ kind: 'stdio', command: './srv' }), 'transport.command'], [t({ kind: 'stdio', command: '' }), 'transport.command'],
      [t({ kind: 'stdio', command: 'a', args: [1] }), 'transport.args[0]'], [t({ kind: 'stdio', command: 'a', env: { PLEXI_X: 'y' } }), 'transport.env.PLEXI_X'],
      [t({ kind: 'stdio', command: 'a', env: { A: 1 } }), 'transport.env.A'], [t({ kind: 'stdio', command: 'a', network: 'yes' }), 'transport.network'],
      [t({ kind: 'stdio', command: 'a', memoryMiB: 9_999 }), 'transport.memoryMiB'], [t({ kind: 'stdio', command: 'a', url: 'x' }), 'transport.url'],
      [t({ kind: 'http', url: 'ftp://x' }), 'transport.url'], [t({ kind: 'http', url: 'https://u:p@x' }), 'transport.url'], [t({ kind: 'http', url: 'nope' }), 'transport.url'],
      [t({ kind: 'http', url: 'http://x', auth: { kind: 'basic' } }), 'transport.auth.kind'], [t({ kind: 'http', url: 'http://x', auth: { kind: 'token' } }), 'transport.auth.token'],
      [t({ kind: 'http', url: 'http://x', auth: { kind: 'client-credentials', clientId: 'a' } }), 'transport.auth.clientSecret'],
      [t({ kind: 'http', url: 'http://x', auth: { kind: 'oauth', password: 'p' } }), 'transport.auth.password']
    ]
    for (const [value, field] of cases) expect(refused(value), JSON.stringify(value)).to.equal(field)
  })

  it('should show a registration without any of its secrets', () => {
    expect(serverView(checkServerRegistration(stdio))).to.deep.equal({ name: 'github', description: 'issues', kind: 'stdio', target: 'npx -y gh-mcp', envNames: ['GH_TOKEN'], network: true, memoryMiB: 128, callDeadlineMs: 5_000 })
    const view = serverView(checkServerRegistration(http))
    expect(view).to.deep.equal({ name: 'search', description: '', kind: 'http', target: 'https://mcp.example.com/mcp', auth: 'client-credentials' })
    expect(JSON.stringify(view)).to.not.include('shh')
  })
})
