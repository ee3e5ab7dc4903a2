import { expect } from 'chai'
import { RosterPartitionVersions } from '../../../../node/index.ts'
import type { PartitionConfigs } from '../../../../node/replication/roster/partition-configs.ts'

describe('RosterPartitionVersions (what owners carry, as the storage roster follows versions)', () => {
  const configsAt = (version: number | undefined, configs: number[]): PartitionConfigs =>
    ({ version, of: (p: number) => version === undefined ? undefined : configs[p] }) as unknown as PartitionConfigs

  it('should carry none before a version is followed, each partition\'s once its versions are known, and say unknown between', () => {
    const roster: { version: number | undefined, configs: PartitionConfigs | undefined } = { version: undefined, configs: configsAt(undefined, []) }
    const versions = new RosterPartitionVersions(roster)
    expect(versions.of(0)).to.equal(undefined)
    roster.version = 4
    expect(versions.of(0), 'followed, the partitions\' versions not read yet').to.equal('unknown')
    roster.configs = configsAt(3, [1, 3])
    expect(versions.of(1), 'worked out at an older version: unknown').to.equal('unknown')
    roster.configs = configsAt(4, [1, 4])
    expect([versions.of(0), versions.of(1)]).to.deep.equal([1, 4])
    // a roster that keeps none (no placement given): nothing carried
    roster.configs = undefined
    expect(versions.of(1)).to.equal(undefined)
  })

  it('should pass a newer version a replica named to whoever catches the node up', () => {
    const versions = new RosterPartitionVersions({ version: 1, configs: undefined })
    versions.newer(3, 5)
    const told: number[] = []
    versions.onNewer((v) => { told.push(v) })
    versions.newer(3, 6)
    expect(told).to.deep.equal([6])
  })
})
