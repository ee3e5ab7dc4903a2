import { expect } from 'chai'
import { byteSize } from '../../cli/byte-size.ts'

describe('byteSize', () => {
  it('should show bytes below a KiB, KiB below a MiB, and MiB above, one decimal', () => {
    expect([byteSize(0), byteSize(1023), byteSize(1024), byteSize(3_500), byteSize(1_048_576), byteSize(126_143_693)]).to.deep.equal(['0 B', '1023 B', '1.0 KiB', '3.4 KiB', '1.0 MiB', '120.3 MiB'])
  })
})
