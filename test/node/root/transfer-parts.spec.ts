import { expect } from 'chai'
import { ROOM } from '../../../actors/index.ts'
import type { PostAck } from '../../../actors/index.ts'
import { exportText } from '../../../node/transfer/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('transfer parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should give one exporter that reads a room this node holds from its own replica', async () => {
    node = await startPartsUpTo('transfer')
    const { c } = node
    const system = c.get('system')
    for (let i = 1; i <= 3; i++) await system.entity(ROOM, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: `m${i}`, replyTo }))
    // the node's own replica holds every record of the room (a node alone is its only replica)
    const journal = c.get('journal')
    const held = await system.entity(ROOM, 'general').ask<{ held: number }>((replyTo) => ({ type: 'export-head', reader: journal.self, replyTo }))
    expect(held.held).to.equal(3)
    let text = ''
    for await (const chunk of exportText(await c.get('exporter').room('general', { json: true }), 'ndjson')) text += chunk
    expect(text.trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { text: string }).text)).to.deep.equal(['m1', 'm2', 'm3'])
  })
})
