import { expect } from 'chai'
import { entityTypeKey } from '../../../actors/index.ts'
import { ACCOUNT, accountType, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'

describe('entityTypeKey', () => {
  const node = useEntityNode()

  it('should be a frozen name that addresses the entities of its type, as the type itself does', async () => {
    expect(Object.isFrozen(ACCOUNT)).to.equal(true)
    expect(ACCOUNT).to.deep.equal({ type: 'account' })
    const type = accountType()
    const system = await node.open([type])
    expect(await deposit(system, 'k', 1)).to.equal(1)
    expect(await system.entity(type, 'k').ask<{ balance: number }>((replyTo) => ({ type: 'balance', replyTo }))).to.deep.equal({ balance: 1, seq: 1 })
    expect(() => system.entity(entityTypeKey<never>('accounts'), 'k')).to.throw(/unknown entity type "accounts"/)
  })
})
