import { expect } from 'chai'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import { RESOURCE_HISTORY, ROOM_URI_TEMPLATE, roomUri } from '../../../node/mcp-server/index.ts'
import { RESOURCE_NOT_FOUND } from '../../../node/mcp-server/room-resources.ts'
import { startMcpApp } from '../../helpers/mcp-node.ts'
import type { McpNode } from '../../helpers/mcp-node.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('the rooms as MCP resources (the SDK\'s client, a real node)', function () {
  this.timeout(60_000)
  let node: McpNode
  let ann: Client

  before(async () => {
    node = await startMcpApp()
    ann = await node.connect(await node.addUser('ann'))
    for (let i = 1; i <= RESOURCE_HISTORY + 2; i++) await ann.callTool({ name: 'post_message', arguments: { room: 'res-busy', text: `post ${i}` } })
    await ann.callTool({ name: 'post_message', arguments: { room: 'res-quiet', text: 'only one' } })
  })
  after(async () => { await node?.stop() })

  it('should list every room as plexi://rooms/<name>, named and typed, and offer the template', async () => {
    const { resources } = await ann.listResources()
    expect(resources.map((r) => r.uri)).to.include.members([roomUri('res-busy'), roomUri('res-quiet')])
    const busy = resources.find((r) => r.uri === 'plexi://rooms/res-busy')
    expect(busy).to.include({ name: 'res-busy', mimeType: 'application/json' })
    expect(busy?.description).to.contain('ann')
    const { resourceTemplates } = await ann.listResourceTemplates()
    expect(resourceTemplates.map((t) => t.uriTemplate)).to.deep.equal([ROOM_URI_TEMPLATE])
  })

  it('should read a room as its recent history in JSON, oldest first', async () => {
    const { contents } = await ann.readResource({ uri: 'plexi://rooms/res-busy' })
    expect(contents).to.have.length(1)
    expect(contents[0]).to.include({ uri: 'plexi://rooms/res-busy', mimeType: 'application/json' })
    const body = JSON.parse((contents[0] as { text: string }).text) as { room: string, lastSeq: number, messages: Array<{ seq: number, user: string, text: string }> }
    expect(body.room).to.equal('res-busy')
    expect(body.lastSeq).to.equal(RESOURCE_HISTORY + 2)
    expect(body.messages).to.have.length(RESOURCE_HISTORY)
    expect(body.messages[0]).to.include({ seq: 3, user: 'ann', text: 'post 3' })
    expect(body.messages.at(-1)).to.include({ seq: RESOURCE_HISTORY + 2, text: `post ${RESOURCE_HISTORY + 2}` })
  })

  it('should answer a room no one posted in as not found (-32002), a name that breaks the rule and another scheme as invalid', async () => {
    const missing = await rejection(() => ann.readResource({ uri: 'plexi://rooms/res-never' }))
    expect(missing).to.be.instanceOf(McpError)
    expect((missing as McpError).code).to.equal(RESOURCE_NOT_FOUND)
    for (const uri of ['plexi://rooms/Res%20Bad', 'file:///etc/passwd', 'plexi://users/ann', 'not a uri']) {
      const err = await rejection(() => ann.readResource({ uri }))
      expect((err as McpError).code, uri).to.be.oneOf([ErrorCode.InvalidParams, ErrorCode.InternalError])
    }
    expect(await ann.ping()).to.deep.equal({})
  })

  it('should complete a room\'s name from what was typed', async () => {
    const { completion } = await ann.complete({ ref: { type: 'ref/resource', uri: ROOM_URI_TEMPLATE }, argument: { name: 'name', value: 'res-b' } })
    expect(completion.values).to.deep.equal(['res-busy'])
    const none = await ann.complete({ ref: { type: 'ref/resource', uri: ROOM_URI_TEMPLATE }, argument: { name: 'name', value: 'zzz' } })
    expect(none.completion.values).to.deep.equal([])
  })
})
