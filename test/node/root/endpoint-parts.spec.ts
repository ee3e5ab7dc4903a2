import { expect } from 'chai'
import { ConfigError } from '../../../config/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('endpoint parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should listen for admins and chat clients on the ports they got, and serve no OpenAI endpoint unless asked', async () => {
    node = await startPartsUpTo('openai')
    const { c } = node
    const reach = c.get('reach')
    expect(reach.admin.port).to.be.greaterThan(0)
    expect(reach.grpc.port).to.be.greaterThan(0)
    expect(c.get('openai')).to.equal(undefined)
    expect(node.lifecycle.started.slice(-6)).to.deep.equal(['client-limits', 'plugin-registry', 'transfer', 'admin', 'grpc', 'web'])
    const live = await fetch(`http://127.0.0.1:${reach.admin.port}/livez`)
    expect(live.status).to.equal(200)
    // not ready until readiness says so
    expect((await fetch(`http://127.0.0.1:${reach.admin.port}/readyz`)).status).to.equal(503)
    expect(c.get('stats').intervalMs).to.be.greaterThan(0)
  })

  it('should serve the OpenAI-compatible endpoint when openai-listen is set', async () => {
    node = await startPartsUpTo('openai', { flags: { 'openai-listen': '127.0.0.1:0', role: 'chat,storage,ai' } })
    const openai = node.c.get('openai')
    expect(openai?.address.port).to.be.greaterThan(0)
    const models = await fetch(`http://127.0.0.1:${openai?.address.port ?? 0}/v1/models`)
    expect(models.status).to.equal(401)
    // and Plexi's MCP server beside it, behind the same authentication, its metrics on the node's registry
    const mcp = await fetch(`http://127.0.0.1:${openai?.address.port ?? 0}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(mcp.status).to.equal(401)
    expect(mcp.headers.get('www-authenticate')).to.equal('Bearer')
    expect(await node.c.get('metrics').registry.metrics()).to.contain('plexi_mcp_sessions_open 0')
  })

  it('should close what it opened when a port is taken, naming the address', async () => {
    node = await startPartsUpTo('openai')
    const taken = node.c.get('reach').admin
    // the preflight refuses it, naming the flag, before any part starts
    let refused: unknown
    await startPartsUpTo('openai', { flags: { 'admin-listen': `127.0.0.1:${taken.port}` } }).catch((err: unknown) => { refused = err })
    expect(refused).to.be.instanceOf(ConfigError)
    expect((refused as ConfigError).key).to.equal('admin-listen')
    // taken between the preflight's check and the listen: the part fails, what started is closed
    let failed: unknown
    const other = await startPartsUpTo('openai', { flags: { 'admin-listen': `127.0.0.1:${taken.port}` }, preflightFlags: { 'admin-listen': '127.0.0.1:0' } }).catch((err: unknown) => { failed = err })
    expect(other).to.equal(undefined)
    expect((failed as Error).message).to.contain(`cannot listen for admin HTTP on 127.0.0.1:${taken.port}`)
  })
})
