import { expect } from 'chai'
import { writesLine } from '../../../../cli/commands/admin/cluster-commands.ts'
import { memberSummary } from '../../../../cli/commands/admin/nodes-commands.ts'
import type { Member } from '../../../../protocols/index.ts'
import { NODE_ID } from '../../../helpers/admin-fixture.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'
import { storageQuorum } from '../../../helpers/storage-quorum.ts'

describe('clusterCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should show the members with this node marked, then whether writes are available', async () => {
    const plain = await cli.run('cluster')
    expect(plain.code).to.equal(0)
    const [summary, header, self] = plain.stdout.split('\n')
    expect(summary).to.equal('1 member: 1 up; chat 1 (all up)')
    expect(header).to.match(/^PEER\s+ROLES\s+STATUS\s+GRPC\s+ADMIN\s+ACTORS\s+ENTITIES\s+MAILBOX\s+LAST SEEN$/)
    expect(self).to.match(new RegExp(`^${NODE_ID} \\(self\\)\\s+chat\\s+up\\s+127\\.0\\.0\\.1:7400\\s+127\\.0\\.0\\.1:7402\\s+1\\s+0\\s+0\\s+-$`))
    expect(plain.stdout).to.not.include('writes:')
    cli.fixture.writes = storageQuorum(NODE_ID, [NODE_ID, '12D3KooWbbbbbbbbbbbb'], new Set())
    await cli.rebuild()
    const guarded = await cli.run('cluster')
    expect(guarded.stdout.trim().split('\n').at(-1)).to.match(/^writes: UNAVAILABLE on 16 of 16 partitions \(1 of 2 storage nodes up; a write needs 2 of 2 replicas; down: \S+\): start the storage nodes that are down$/)
    expect(JSON.parse((await cli.run('cluster', '--json')).stdout)).to.have.all.keys('self', 'members', 'writes')
  })
})

describe('memberSummary', () => {
  const member = (peerId: string, roles: string[], status: Member['status']): Member => ({
    peerId, roles, status, addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, capacity: 1, startedAt: 0, version: 'test'
  })

  it('should count the members by state, then each role by state, up last', () => {
    const members = [
      ...Array.from({ length: 20 }, (_, i) => member(`c${i}`, ['chat'], 'up')),
      ...Array.from({ length: 7 }, (_, i) => member(`s${i}`, ['storage'], 'up')),
      member('s7', ['storage'], 'down'), member('a0', ['ai', 'chat'], 'suspect'), member('a1', ['ai'], 'up')
    ]
    expect(memberSummary(members)).to.equal('30 members: 28 up, 1 suspect, 1 down; ai 2 (1 up, 1 suspect), chat 21 (20 up, 1 suspect), storage 8 (7 up, 1 down)')
    expect(memberSummary([])).to.equal('0 members: none')
  })
})

describe('writesLine', () => {
  it('should say writes are available with the counts, or where they are not and who is down', () => {
    const w = { available: true, needed: 1, writeQuorum: 1, replicas: 1, storageNodes: 1, storageUp: 1, partitions: 8, unavailablePartitions: 0, down: [] }
    expect(writesLine(w)).to.equal('writes: available (1 of 1 storage node up; a write needs 1 of 1 replica)')
    expect(writesLine({ ...w, available: false, needed: 2, replicas: 3, storageNodes: 3, unavailablePartitions: 5 })).to.equal('writes: UNAVAILABLE on 5 of 8 partitions (1 of 3 storage nodes up; a write needs 2 of 3 replicas): start the storage nodes that are down')
  })
})
