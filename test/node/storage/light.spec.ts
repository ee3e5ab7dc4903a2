import { expect } from 'chai'
import * as full from '../../../node/storage/index.ts'
import * as light from '../../../node/storage/light.ts'

describe('node/storage/light.ts', () => {
  it('should give the same seals and error as the folder\'s index, and a seal that reads back', () => {
    for (const name of ['seal', 'sealDigest', 'sealIntact', 'unseal', 'CorruptRecordError'] as const) expect(light[name], name).to.equal(full[name])
    const sealed = light.seal('r\x00k', new TextEncoder().encode('v'))
    expect(light.sealIntact('r\x00k', sealed)).to.equal(true)
    expect(() => light.unseal('r\x00other', sealed)).to.throw(light.CorruptRecordError)
  })
})
