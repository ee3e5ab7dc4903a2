import { expect } from 'chai'
import { checkMcpServerRegistryMsg } from '../../../actors/index.ts'
import { thrown } from '../../helpers/thrown.ts'

const replyTo = { askId: 'a1', node: 'n1' }
const registration = { name: 'memory', description: '', transport: { kind: 'http', url: 'https://x/mcp' } }

describe('MCP server registry protocol', () => {
  it('should take well-formed messages', () => {
    for (const msg of [{ type: 'register', registration, replace: false, ts: 1, replyTo }, { type: 'remove', name: 'memory', replyTo }, { type: 'list', replyTo }]) {
      expect(() => { checkMcpServerRegistryMsg(msg) }, msg.type).to.not.throw()
    }
  })

  it('should refuse malformed ones, naming what is wrong', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'drop', replyTo }, /unknown type/], [{ type: 'remove', name: 'Memory', replyTo }, /name/], [{ type: 'list' }, /replyTo/],
      [{ type: 'register', registration: { ...registration, name: '' }, replace: false, ts: 1, replyTo }, /name/],
      [{ type: 'register', registration, replace: 'no', ts: 1, replyTo }, /replace/], [{ type: 'register', registration, replace: true, replyTo }, /ts/]
    ]
    for (const [msg, why] of cases) expect(thrown(() => { checkMcpServerRegistryMsg(msg) }).message, JSON.stringify(msg)).to.match(why)
  })
})
