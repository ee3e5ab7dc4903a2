import { expect } from 'chai'
import { ActorSystem, NODE_ROLES } from '../../../actors/index.ts'
import type { NodeRole } from '../../../actors/index.ts'
import { NodeRoles, ROLE_MANAGER_PATH, checkRoles, roleManager } from '../../../node/mesh/role-manager.ts'
import type { RoleManagerMsg, RolesInfo } from '../../../node/mesh/role-manager.ts'
import { kindOf } from '../../../protocols/index.ts'

describe('role manager', () => {
  describe('checkRoles', () => {
    it('should take known roles in the canonical order, and all alone as every role', () => {
      expect(checkRoles(['storage', 'chat'])).to.deep.equal(['chat', 'storage'])
      expect(checkRoles(['all'])).to.deep.equal([...NODE_ROLES])
    })

    it('should refuse an empty list, an unknown role, a duplicate, all beside others, and what is not a list', () => {
      for (const bad of [[], ['cook'], ['chat', 'chat'], ['all', 'chat'], 'chat', null, [...NODE_ROLES, 'chat']]) {
        const err = (() => { try { checkRoles(bad) } catch (e) { return e as Error } })()
        expect(err?.name, JSON.stringify(bad)).to.equal('InvalidRolesError')
        expect(kindOf(err)).to.equal('invalid')
      }
    })
  })

  describe('roleManager (a real actor system)', () => {
    let system: ActorSystem
    let roles: NodeRoles
    let changes: Array<{ roles: readonly NodeRole[], previous: readonly NodeRole[] }>
    beforeEach(() => {
      system = new ActorSystem({ node: 'n1' })
      roles = new NodeRoles(['chat'])
      changes = []
      system.spawn(roleManager({ peerId: 'n1', roles, onChange: (now, previous) => { changes.push({ roles: now, previous }) } }), { name: ROLE_MANAGER_PATH.slice(1), kind: 'role-manager' })
    })
    afterEach(async () => { await system.terminate() })
    const ask = async (build: (replyTo: never) => unknown): Promise<RolesInfo> =>
      await system.actorAt<RoleManagerMsg>({ node: 'n1', path: ROLE_MANAGER_PATH }).ask<RolesInfo>((replyTo) => build(replyTo as never) as RoleManagerMsg, { timeout: 5_000 })

    it('should say the node\'s roles, change them once per real change, and tell the node', async () => {
      expect(await ask((replyTo) => ({ type: 'get', replyTo }))).to.deep.equal({ peerId: 'n1', roles: ['chat'] })
      expect(await ask((replyTo) => ({ type: 'set', roles: ['ai', 'chat'], replyTo }))).to.deep.equal({ peerId: 'n1', roles: ['chat', 'ai'], previous: ['chat'] })
      expect(roles.current).to.deep.equal(['chat', 'ai'])
      expect(roles.has('ai')).to.equal(true)
      // the same roles again: answered, nothing changed
      await ask((replyTo) => ({ type: 'set', roles: ['chat', 'ai'], replyTo }))
      expect(changes).to.deep.equal([{ roles: ['chat', 'ai'], previous: ['chat'] }])
    })

    it('should refuse a request that is not one, or roles that are not, changing nothing', async () => {
      const refused = async (build: (replyTo: never) => unknown): Promise<Error | undefined> => await ask(build).then(() => undefined, (e: Error) => e)
      expect((await refused((replyTo) => ({ type: 'grant', replyTo })))?.name).to.equal('InvalidRolesError')
      expect((await refused((replyTo) => ({ type: 'set', roles: ['cook'], replyTo })))?.name).to.equal('InvalidRolesError')
      expect(roles.current).to.deep.equal(['chat'])
      expect(changes).to.deep.equal([])
    })
  })
})
