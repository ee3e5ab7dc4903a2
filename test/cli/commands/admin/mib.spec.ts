import { expect } from 'chai'
import { mib } from '../../../../cli/commands/admin/mib.ts'

describe('mib', () => {
  it('should show a size in MiB with one decimal, whatever its size', () => {
    expect([0, 1, 1_048_576, 1_572_864, 10 * 1_073_741_824].map(mib)).to.deep.equal(['0.0 MiB', '0.0 MiB', '1.0 MiB', '1.5 MiB', '10240.0 MiB'])
  })
})
