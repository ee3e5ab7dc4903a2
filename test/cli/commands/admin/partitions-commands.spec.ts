import { expect } from 'chai'
import { NODE_ID } from '../../../helpers/admin-fixture.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('partitionsCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should show each partition\'s replicas, then how many are behind, silent or apart', async () => {
    const all = await cli.run('partitions')
    expect(all.code).to.equal(0)
    const lines = all.stdout.trim().split('\n')
    expect(lines[0]).to.match(/^PARTITION\s+W\s+REPLICA\s+STATUS\s+ENTITIES\s+RECORDS\s+EPOCH\s+LAG\s+MERKLE ROOT\s+COMPARED\s+REPAIRED$/)
    expect(lines).to.have.length(258)
    expect(lines.at(-1)).to.equal('256 partitions; 0 replicas behind, 0 not answering, 0 partitions whose replicas\' Merkle roots differ')
    const one = JSON.parse((await cli.run('partitions', '--partition', '7', '--json')).stdout) as Array<{ partition: number, replicas: Array<{ peerId: string }> }>
    expect(one.map((p) => [p.partition, p.replicas.map((r) => r.peerId)])).to.deep.equal([[7, [NODE_ID]]])
    const bad = await cli.run('partitions', '--partition', 'x')
    expect([bad.code, bad.stderr]).to.deep.equal([2, 'plexi: --partition: expected a partition number, got "x"\n'])
  })
})

describe('repairCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should follow a repair to its end and say what it did, exit 1 when comparisons could not be made', async () => {
    const repaired = await cli.run('repair', '--partition', '3')
    expect(repaired.stdout).to.match(/^repair-1 done: partition 3, no other replica to compare with; 0 records filled \(missed while a replica was down\), 0 repaired \(missing or damaged\), 0 B moved\n$/)
    // a node alone without anti-entropy: the comparison is a failure, and says so
    expect(repaired.stderr).to.include('warning: ')
    expect(repaired.code).to.equal(1)
    const started = JSON.parse((await cli.run('repair', '--no-wait', '--json')).stdout) as { id: string, partition: number | null }
    expect(started).to.include({ id: 'repair-2', partition: null })
    expect((await cli.run('repair', '--partition', '-1')).code).to.equal(2)
  })
})
