import { expect } from 'chai'
import { ActorSystem, userDirectory } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { DirectoryView, UserAccounts } from '../../../node/users/index.ts'
import { rejection } from '../../helpers/thrown.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const quiet = { debug: () => undefined, warn: () => undefined }

describe('UserAccounts (real directory entity and LevelDB)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let users: UserAccounts

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(userDirectory as never)
    users = new UserAccounts(system)
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  it('should add a user with a token shown once that authenticates it, and list and get it, when added', async () => {
    const ann = await users.add('ann')
    expect(ann.token).to.match(/^plxu_/)
    expect(ann.name).to.equal('ann')
    expect(await users.authenticate(ann.token)).to.equal('ann')
    expect((await users.list()).map((u) => u.name)).to.deep.equal(['ann'])
    expect((await users.get('ann'))?.name).to.equal('ann')
    expect(await users.get('nobody')).to.equal(null)
  })

  it('should stop a removed user\'s token at once, and refuse a second add of a name, when changed', async () => {
    const ann = await users.add('ann')
    expect(await users.authenticate(ann.token)).to.equal('ann')
    expect((await rejection(async () => await users.add('ann'))).name).to.equal('UserExistsError')
    await users.remove('ann')
    expect(await users.authenticate(ann.token)).to.equal(undefined)
  })

  it('should answer a retried add with its client id with the user and a new token, the lost one no longer working', async () => {
    const first = await users.add('bob', 'add-bob-1')
    const retried = await users.add('bob', 'add-bob-1')
    expect(retried.token).to.not.equal(first.token)
    expect(await users.authenticate(retried.token)).to.equal('bob')
    expect(await users.authenticate(first.token)).to.equal(undefined)
  })

  it('should refuse a bad name or client id before asking the directory, and read an empty or overlong token as nobody', async () => {
    expect((await rejection(async () => await users.add('Not A Name'))).name).to.equal('InvalidNameError')
    expect((await rejection(async () => await users.add('ok', 'has space'))).name).to.equal('InvalidNameError')
    expect((await rejection(async () => await users.remove('Not A Name'))).name).to.equal('InvalidNameError')
    expect(await users.authenticate('')).to.equal(undefined)
    expect(await users.authenticate('x'.repeat(257))).to.equal(undefined)
    expect(await users.list()).to.deep.equal([])
  })

  it('should authenticate from this node\'s copy of the directory, and know a user it added at once, when given a view', async () => {
    const view = new DirectoryView({ system, refreshMs: 60_000, log: quiet })
    const viewed = new UserAccounts(system, view)
    const early = await viewed.add('cyd')
    view.start()
    await view.whenLoaded()
    expect(view.lookup('0'.repeat(64))).to.equal(null)
    expect(await viewed.authenticate(early.token)).to.equal('cyd')
    const late = await viewed.add('dee')
    expect(await viewed.authenticate(late.token)).to.equal('dee')
    await viewed.remove('dee')
    expect(await viewed.authenticate(late.token)).to.equal(undefined)
    await view.stop()
  })
})
