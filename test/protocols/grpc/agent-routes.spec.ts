import { expect } from 'chai'
import { Metadata } from '@grpc/grpc-js'
import { AGENT_NODE_HEADER, AgentRoutes, UNFOLLOWED_MS } from '../../../protocols/grpc/index.ts'

const naming = (address?: string): Metadata => {
  const md = new Metadata()
  if (address !== undefined) md.set(AGENT_NODE_HEADER, address)
  return md
}

describe('AgentRoutes', () => {
  let now = 0
  const clock = (): number => now

  it('should send a user\'s calls to the given address until a call names its agent\'s node, then there', () => {
    const routes = new AgentRoutes('b:1', clock)
    expect(routes.target('alice')).to.equal('b:1')
    routes.heard('alice', 'b:1', naming())
    expect(routes.target('alice'), 'no header').to.equal('b:1')
    routes.heard('alice', 'b:1', naming('a:1'))
    expect(routes.target('alice')).to.equal('a:1')
    expect(routes.target('bob'), 'another user').to.equal('b:1')
    // the owner itself names nobody: the client stays
    routes.heard('alice', 'a:1', naming())
    expect(routes.target('alice')).to.equal('a:1')
    // the agent moved: its old node names the new one
    routes.heard('alice', 'a:1', naming('c:1'))
    expect(routes.target('alice')).to.equal('c:1')
    // named back to the given address: no route kept
    routes.heard('alice', 'c:1', naming('b:1'))
    expect(routes.target('alice')).to.equal('b:1')
  })

  it('should go back to the given address on a failure at a learnt node, and not follow that node again for a while', () => {
    now = 0
    const routes = new AgentRoutes('b:1', clock)
    routes.heard('alice', 'b:1', naming('a:1'))
    routes.heard('bob', 'b:1', naming('a:1'))
    expect(routes.failed('alice', 'a:1')).to.equal(true)
    expect(routes.target('alice')).to.equal('b:1')
    expect(routes.target('bob'), 'every user sent to the node that failed').to.equal('b:1')
    routes.heard('alice', 'b:1', naming('a:1'))
    expect(routes.target('alice'), 'named again at once').to.equal('b:1')
    now = UNFOLLOWED_MS + 1
    routes.heard('alice', 'b:1', naming('a:1'))
    expect(routes.target('alice'), 'named again later').to.equal('a:1')
  })

  it('should ignore a header that names no address a client can dial', () => {
    const routes = new AgentRoutes('b:1', clock)
    for (const bad of ['', 'a', 'a:0', 'a:65536', 'a:1/x', 'http://a:1', 'a b:1', `${'a'.repeat(300)}:1`]) {
      routes.heard('alice', 'b:1', naming(bad))
      expect(routes.target('alice'), JSON.stringify(bad)).to.equal('b:1')
    }
    routes.heard('alice', 'b:1', naming('[::1]:7400'))
    expect(routes.target('alice')).to.equal('[::1]:7400')
  })

  it('should not go back anywhere when a call at the given address fails', () => {
    const routes = new AgentRoutes('b:1', clock)
    expect(routes.failed('alice', 'b:1')).to.equal(false)
    expect(routes.target('alice')).to.equal('b:1')
  })
})
