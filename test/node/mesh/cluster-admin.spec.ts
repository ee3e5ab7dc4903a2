import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { ClusterAdmin } from '../../../node/mesh/cluster-admin.ts'
import { LoneRemoting } from '../../../node/mesh/lone-remoting.ts'
import type { MemberView } from '../../../node/mesh/membership.ts'
import { INSPECTOR_PATH, nodeInspector } from '../../../node/mesh/node-inspector.ts'
import { Placement } from '../../../node/mesh/placement.ts'
import { NodeRoles, ROLE_MANAGER_PATH, roleManager } from '../../../node/mesh/role-manager.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const view = (peerId: string, status: MemberView['status']): MemberView => ({
  peerId, roles: ['chat'], status, capacity: 1, lastSeen: 0, incarnation: 1, version: 'v', addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }
})

describe('ClusterAdmin', function () {
  this.timeout(30_000)

  describe('a node alone (no cluster key)', () => {
    let system: ActorSystem
    let roles: NodeRoles
    let members: MemberView[]
    let warned: string[]
    let admin: ClusterAdmin
    beforeEach(() => {
      system = new ActorSystem({ node: 'n1' })
      const placement = new Placement('n1')
      placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
      system.attachRemoting(new LoneRemoting(placement))
      roles = new NodeRoles(['chat'])
      system.spawn(roleManager({ peerId: 'n1', roles, onChange: () => undefined }), { name: ROLE_MANAGER_PATH.slice(1), kind: 'role-manager' })
      system.spawn(nodeInspector(system, { head: async () => 0 }, () => []), { name: INSPECTOR_PATH.slice(1), kind: 'inspector' })
      members = []
      warned = []
      admin = new ClusterAdmin({ system, heads: { head: async () => 0 }, placement, members: () => members, log: { warn: (_o: object, msg: string) => { warned.push(msg) } } })
    })
    afterEach(async () => { await system.terminate() })

    it('should list its own actors, and name a member up that did not answer, saying why', async () => {
      expect((await admin.actors()).actors.map((a) => a.kind)).to.include.members(['inspector', 'role-manager'])
      members = [view('n2', 'up'), view('n3', 'down')]
      const listed = await admin.actors('inspector')
      expect(listed.actors.map((a) => a.node)).to.deep.equal(['n1'])
      expect(listed.unreachable).to.deep.equal(['n2'])
      expect(warned).to.have.length(1)
      expect(warned[0]).to.match(/^member n2 did not list its actors: PeerUnreachableError/)
    })

    it('should change its own roles through its role manager, and refuse a peer that is not up', async () => {
      expect(await admin.setRoles('n1', ['chat', 'ai'])).to.deep.include({ peerId: 'n1', roles: ['chat', 'ai'] })
      expect(roles.current).to.deep.equal(['chat', 'ai'])
      members = [view('n3', 'down')]
      const err = await admin.setRoles('n3', ['chat']).then(() => undefined, (e: Error) => e)
      expect(err?.name).to.equal('UnknownPeerError')
      const invalid = await admin.setRoles('n1', ['cook']).then(() => undefined, (e: Error) => e)
      expect(invalid?.name).to.equal('InvalidRolesError')
    })

    it('should answer null for an entity of a type it does not know, or one never written', async () => {
      expect(await admin.entity('nope', 'x')).to.equal(null)
    })
  })

  describe('a cluster (real libp2p on loopback)', () => {
    const net = useTestCluster()

    it('should gather every member\'s actors, and change another member\'s roles through its role manager', async () => {
      const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
      await waitFor(() => a.cluster.members().some((m) => m.peerId === b.id && m.status === 'up'), 'a to see b up', { timeout: 20_000, interval: 20 })
      const listed = await a.cluster.admin.actors('role-manager')
      expect(listed.actors.map((r) => r.node).sort()).to.deep.equal([a.id, b.id].sort())
      expect(listed.unreachable).to.deep.equal([])
      expect((await a.cluster.admin.setRoles(b.id, ['chat', 'ai'])).roles).to.deep.equal(['chat', 'ai'])
    })
  })
})
