import { expect } from 'chai'
import { writesSchema } from '../../../protocols/admin/cluster-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('writesSchema', () => {
  it('should fit the write quorum as /cluster shows it, every field required', () => {
    const check = validatorOf(writesSchema)
    const writes = { available: false, needed: 2, writeQuorum: 2, replicas: 2, storageNodes: 2, storageUp: 1, partitions: 16, unavailablePartitions: 16, down: ['12D3KooWb'] }
    expect(check(writes).ok).to.equal(true)
    const { down: _, ...noDown } = writes
    expect(check(noDown).errors).to.deep.equal(["must have required property 'down'"])
    expect(check({ ...writes, available: 'no' }).errors).to.deep.equal(['/available must be boolean'])
  })
})
