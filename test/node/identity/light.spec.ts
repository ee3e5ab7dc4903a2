import { expect } from 'chai'
import * as full from '../../../node/identity/index.ts'
import * as light from '../../../node/identity/light.ts'

describe('node/identity/light.ts', () => {
  it('should give the same words for a secret file others can read as the folder\'s index', () => {
    expect(light.permissionsTooOpen).to.equal(full.permissionsTooOpen)
    expect(light.permissionsTooOpen('/x/key', 0o644)).to.include('/x/key')
  })
})
