import { expect } from 'chai'
import { NODE_ROLES, isNodeRole } from '../../../actors/index.ts'

describe('node roles', () => {
  it('should know the four roles of the card and nothing else', () => {
    expect(NODE_ROLES).to.deep.equal(['chat', 'ai', 'storage', 'backup', 'plugins'])
    for (const role of NODE_ROLES) expect(isNodeRole(role), role).to.equal(true)
    for (const other of ['all', 'Chat', '', 'gpu', 1, null, undefined, ['chat']]) expect(isNodeRole(other), String(other)).to.equal(false)
  })
})
