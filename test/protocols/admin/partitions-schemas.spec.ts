import { expect } from 'chai'
import { partitionSchema, repairJobSchema } from '../../../protocols/admin/partitions-schemas.ts'
import type { PartitionRow, RepairJob } from '../../../protocols/admin/partitions-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('partitions schemas', () => {
  it('should fit a partition with its replicas, null where one did not answer', () => {
    const row: PartitionRow = {
      partition: 3, writeQuorum: 2, replicas: [
        { peerId: 'p', status: 'up', entities: 4, records: 20, epoch: 3, lag: 0, merkleRoot: 'ab', lastRepair: null, recordsRepaired: 0 },
        { peerId: 'q', status: 'unknown', entities: null, records: null, epoch: null, lag: null, merkleRoot: null }
      ]
    }
    const check = validatorOf(partitionSchema)
    expect(check(row).ok).to.equal(true)
    expect(check({ ...row, replicas: [{ peerId: 'p', status: 'up' }] }).errors).to.include("/replicas/0 must have required property 'entities'")
  })

  it('should fit a repair job running or ended', () => {
    const job: RepairJob = {
      id: 'repair-1', state: 'running', partition: null, partitions: 256, partitionsDone: 3, comparisons: 6, recordsFilled: 1, recordsRepaired: 0, bytes: 100, divergent: 0, failures: [], startedAt: '2026-01-01T00:00:00Z', endedAt: null
    }
    const check = validatorOf(repairJobSchema)
    expect(check(job).ok).to.equal(true)
    expect(check({ ...job, state: 'cancelled' }).errors).to.deep.equal(['/state must be equal to one of the allowed values'])
  })
})
