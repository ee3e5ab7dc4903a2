import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { USERS, USER_DIRECTORY_KEY, checkUserDirectoryMsg, createPlainCodec, userDirectory } from '../../../actors/index.ts'
import type { EntityTypeKey, ReplyTo, UserDirectoryMsg, UserSummary } from '../../../actors/index.ts'
import { userDirectoryMessage } from '../../helpers/entity-messages.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'
import { handlesWhatItsCheckPasses } from '../../helpers/message-check-tests.ts'

describe('userDirectory (real LevelDB journal)', () => {
  const node = useLocalEntities(entity(userDirectory))
  /** A token's hash as the directory takes it (SHA-256, hex). */
  const h = (token: string): string => createHash('sha256').update(token).digest('hex')
  const users = () => node.system.entity(userDirectory, 'all')
  const ask = <R = unknown>(build: (replyTo: ReplyTo<any>) => UserDirectoryMsg): Promise<R> => users().ask<R>(build)

  it('should add users, authenticate by token hash, list them, and revoke on removal', async () => {
    const alice = await ask<UserSummary>((replyTo) => ({ type: 'add', name: 'alice', tokenHash: h('aa11'), replyTo }))
    expect(alice.name).to.equal('alice')
    await ask((replyTo) => ({ type: 'add', name: 'bob', tokenHash: h('bb22'), replyTo }))
    expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: h('aa11'), replyTo }))).to.equal('alice')
    expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: h('zz'), replyTo }))).to.equal(null)
    expect((await ask<UserSummary[]>((replyTo) => ({ type: 'list', replyTo }))).map((u) => u.name)).to.deep.equal(['alice', 'bob'])
    await ask((replyTo) => ({ type: 'remove', name: 'alice', replyTo }))
    expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: h('aa11'), replyTo }))).to.equal(null)
    expect(await ask((replyTo) => ({ type: 'get', name: 'alice', replyTo }))).to.equal(null)
    await node.restart()
    expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: h('bb22'), replyTo }))).to.equal('bob')
    expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: h('aa11'), replyTo }))).to.equal(null)
  })

  it('should refuse a duplicate user and the removal of an unknown one, changing nothing', async () => {
    await ask((replyTo) => ({ type: 'add', name: 'alice', tokenHash: h('aa'), replyTo }))
    const dup = await ask((replyTo) => ({ type: 'add', name: 'alice', tokenHash: h('cc'), replyTo })).then(() => null, (e: unknown) => e)
    expect(dup).to.have.property('name', 'UserExistsError')
    const unknown = await ask((replyTo) => ({ type: 'remove', name: 'zed', replyTo })).then(() => null, (e: unknown) => e)
    expect(unknown).to.have.property('name', 'UnknownUserError')
    expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: h('cc'), replyTo }))).to.equal(null)
    expect(await node.journal.head('users/all')).to.equal(1)
  })

  it('should handle every message its check passes without crashing, and refuse the rest before it sees them', async function () {
    this.timeout(120_000)
    await handlesWhatItsCheckPasses(node.system, USERS as EntityTypeKey<unknown>, checkUserDirectoryMsg, userDirectoryMessage(), () => USER_DIRECTORY_KEY, (replyTo) => ({ type: 'list', replyTo }))
  })

  it('should round-trip its messages and state through msgpackr', () => {
    const codec = createPlainCodec()
    const replyTo = { askId: '1', node: 'n' }
    for (const value of [{ type: 'add', name: 'alice', tokenHash: 'ab', replyTo }, { users: { alice: { tokenHash: 'ab', createdAt: 1 } }, byToken: { ab: 'alice' } }]) {
      expect(codec.decode(codec.encode(value))).to.deep.equal(value)
    }
  })
})
