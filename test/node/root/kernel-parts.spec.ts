import { expect } from 'chai'
import { repairHooks } from '../../../node/root/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('kernel parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should bind the actor system to the kernel port, with the shard holders and the replicas\' inspector', async () => {
    node = await startPartsUpTo('actors')
    const system = node.c.get('system')
    expect(node.c.get('kernel').system()).to.equal(system)
    const paths = system.actors().map((a) => a.path)
    expect(paths).to.include('/replication')
    expect(paths).to.include('/shard-0')
    expect(paths.filter((p) => p.startsWith('/shard-'))).to.have.length(node.c.get('replicas').partitions)
  })

  it('should register every entity type and the gateways, and say which roles this node leaves to others', async () => {
    node = await startPartsUpTo('entities')
    const { c } = node
    expect(c.get('system').entityTypes().map((t) => t.type).sort()).to.deep.equal(['agent', 'audit', 'backups', 'erasures', 'mcp-servers', 'plugin-catalog', 'plugin-package', 'post-hooks', 'retention', 'room', 'rooms', 'tool-policy', 'users'])
    expect(c.get('system').actors().map((a) => a.path)).to.include.members(['/chat-gateway', '/agent-gateway'])
    expect(node.lines.map((l) => l.msg)).to.include('this node does not hold the ai role: its agents live on members that do')
    expect(node.lines.map((l) => l.msg)).to.not.include('this node does not hold the chat role: its rooms live on members that do')
  })

  it('should show the inspector whichever repair parts run by now', () => {
    const repairs: Parameters<typeof repairHooks>[0] = {}
    const hooks = repairHooks(repairs)
    expect(hooks.antiEntropy()).to.equal(undefined)
    const scrubber = {} as NonNullable<typeof repairs.scrubber>
    repairs.scrubber = scrubber
    expect(hooks.scrubber()).to.equal(scrubber)
  })
})
