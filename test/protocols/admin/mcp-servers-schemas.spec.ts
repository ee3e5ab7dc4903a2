import { expect } from 'chai'
import { mcpServerNameParam, mcpServerRegistrationSchema, mcpServerSchema } from '../../../protocols/admin/mcp-servers-schemas.ts'
import { SOURCE_NAME_PATTERN, checkServerRegistration, serverView } from '../../../protocols/plugins/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

const stdio = { name: 'memory', description: 'a graph', callDeadlineMs: 5_000, transport: { kind: 'stdio', command: '/usr/bin/mem', args: ['--x'], env: { TOKEN: 's' }, network: true, memoryMiB: 128 } }
const http = { name: 'web', transport: { kind: 'http', url: 'https://mcp.example.com/mcp', auth: { kind: 'client-credentials', clientId: 'c', clientSecret: 's', scope: 'tools', issuer: 'https://id.example.com' } } }

describe('MCP servers schemas', () => {
  it('should take every registration the check takes, and what the check then reads', () => {
    const post = validatorOf(mcpServerRegistrationSchema(true))
    for (const body of [stdio, http, { name: 'tok', transport: { kind: 'http', url: 'http://a/', auth: { kind: 'token', token: 't' } } }, { name: 'o', transport: { kind: 'http', url: 'http://a/', auth: { kind: 'oauth' } } }]) {
      expect(post(body).errors, JSON.stringify(body)).to.deep.equal([])
      expect(() => checkServerRegistration(body)).to.not.throw()
    }
    // a transport's field of the other kind passes the schema: the check names it
    expect(post({ name: 'x', transport: { kind: 'stdio', command: 'x', url: 'http://a/' } }).ok).to.equal(true)
  })

  it('should refuse what is not a registration\'s shape, naming where', () => {
    const post = validatorOf(mcpServerRegistrationSchema(true))
    expect(post({ transport: { kind: 'stdio', command: 'x' } }).errors).to.deep.equal(['must have required property \'name\''])
    expect(post({ ...stdio, more: 1 }).errors).to.deep.equal(['must NOT have additional properties'])
    expect(post({ ...stdio, transport: { ...stdio.transport, memoryMiB: 4 } }).errors).to.deep.equal(['/transport/memoryMiB must be >= 64'])
    expect(post({ ...stdio, transport: { ...stdio.transport, env: { A: 1 } } }).errors).to.deep.equal(['/transport/env/A must be string'])
    expect(post({ ...http, transport: { ...http.transport, auth: { kind: 'basic' } } }).errors).to.deep.equal(['/transport/auth/kind must be equal to one of the allowed values'])
    expect(post({ ...stdio, callDeadlineMs: 60_000 }).errors).to.deep.equal(['/callDeadlineMs must be <= 10000'])
    const put = validatorOf(mcpServerRegistrationSchema(false))
    expect(put({ transport: { kind: 'stdio', command: 'x' } }).ok, 'PUT takes the name from its path').to.equal(true)
    expect(mcpServerNameParam.pattern).to.equal(SOURCE_NAME_PATTERN)
  })

  it('should fit what the routes answer: a view without secrets, and each member\'s side', () => {
    const check = validatorOf(mcpServerSchema)
    const node = { node: 'n1', state: 'up', tools: ['memory__read_graph'], restarts: 0, error: null, upSince: 5, retryAt: null }
    for (const view of [serverView(checkServerRegistration(stdio)), serverView(checkServerRegistration(http))]) {
      expect(check({ ...view, nodes: [node, { ...node, state: 'failed', tools: [], error: 'spawn ENOENT', upSince: null, retryAt: 9 }] }).errors).to.deep.equal([])
      expect(JSON.stringify(view)).to.not.match(/"s"/)
    }
    expect(check({ ...serverView(checkServerRegistration(stdio)), nodes: [{ ...node, state: 'dancing' }] }).errors).to.deep.equal(['/nodes/0/state must be equal to one of the allowed values'])
  })
})
