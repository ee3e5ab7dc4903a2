import { expect } from 'chai'
import { ActorSystem, PAGE_BUCKETS, USER_PAGES, userDirectory } from '../../../actors/index.ts'
import type { UserDirectoryState } from '../../../actors/index.ts'
import { DirectoryUnavailableError, DirectoryView, LevelStore, UserAccounts, hashToken, openLocalJournal } from '../../../node/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { retryUnavailable } from '../../helpers/retry-unavailable.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const quiet = { debug: () => undefined, warn: () => undefined }

describe('DirectoryView', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(userDirectory)
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  it('should copy every token page by page, follow adds and removals made elsewhere, and answer from the copy', async () => {
    // "elsewhere": accounts without a view, as on another node
    const elsewhere = new UserAccounts(system)
    const tokens = new Map<string, string>()
    for (let i = 0; i < 1_200; i += 100) {
      const added = await Promise.all(Array.from({ length: 100 }, async (_, j) => await elsewhere.add(`u${i + j}`)))
      for (const a of added) tokens.set(a.name, a.token)
    }
    const view = new DirectoryView({ system, log: quiet, refreshMs: 60_000 })
    expect(view.lookup(hashToken(tokens.get('u7') as string))).to.equal(undefined)
    await view.refresh()
    expect(view.loaded).to.equal(true)
    expect(view.size).to.equal(1_200)
    expect(view.lookup(hashToken(tokens.get('u1199') as string))).to.equal('u1199')
    expect(view.lookup(hashToken('plxu_not-a-token'))).to.equal(null)
    await elsewhere.remove('u7')
    // until the next refresh the removal is not known here; after it, it is
    expect(view.lookup(hashToken(tokens.get('u7') as string))).to.equal('u7')
    await view.refresh()
    expect(view.lookup(hashToken(tokens.get('u7') as string))).to.equal(null)
    const here = new UserAccounts(system, view)
    expect(await here.authenticate(tokens.get('u8') as string)).to.equal('u8')
    // a user added elsewhere after the last refresh is found by asking the directory
    const late = await elsewhere.add('late')
    expect(await here.authenticate(late.token)).to.equal('late')
    // removed here: refused here at once
    await here.remove('u8')
    expect(await here.authenticate(tokens.get('u8') as string)).to.equal(undefined)
  })

  it('should load at once when started, not a refresh interval later, and wake its waiters once stopped', async () => {
    const ann = await new UserAccounts(system).add('ann')
    const view = new DirectoryView({ system, log: quiet, refreshMs: 60_000 })
    view.start()
    await waitFor(() => view.loaded, 'the first refresh, at start')
    expect(view.lookup(hashToken(ann.token))).to.equal('ann')
    await view.stop()
    const stopped = new DirectoryView({ system, log: quiet, refreshMs: 60_000 })
    const waiting = stopped.whenLoaded()
    await stopped.stop()
    await waiting
    expect(stopped.loaded).to.equal(false)
  })

  it('should keep authenticating from its copy while the directory cannot be reached', async () => {
    const accounts = new UserAccounts(system)
    const ann = await accounts.add('ann')
    const view = new DirectoryView({ system, log: quiet, refreshMs: 60_000 })
    await view.refresh()
    // the directory is gone (its system stopped): the copy still answers, a refresh changes nothing
    const here = new UserAccounts(system, view)
    await system.terminate()
    expect(await here.authenticate(ann.token)).to.equal('ann')
    await view.refresh()
    expect(await here.authenticate(ann.token)).to.equal('ann')
    // a token the copy does not know may be a user added elsewhere a moment ago: "retry", never
    // "revoked", while the directory cannot say
    const unknown = await here.authenticate('plxu_unknown').then(() => null, (e: unknown) => e)
    expect(unknown).to.be.instanceOf(DirectoryUnavailableError)
    expect(kindOf(unknown)).to.equal('unavailable')
  })

  it('should list users from its copy by name with the directory\'s times, and leave the list to the directory while it holds a user an older directory sent without a time', async () => {
    const accounts = new UserAccounts(system)
    for (const name of ['cy', 'al', 'bo']) await accounts.add(name)
    const view = new DirectoryView({ system, log: quiet, refreshMs: 60_000 })
    expect(view.page(undefined, 10), 'not loaded yet').to.equal(undefined)
    await view.refresh()
    const listed = await accounts.list()
    expect(view.page(undefined, 10)).to.deep.equal({ users: listed, more: false })
    expect(view.page('al', 1)).to.deep.equal({ users: listed.slice(1, 2), more: true })
    // the same page while the copy has not changed (its answer serialized once), a new one after
    const page = view.page('al', 1)
    expect(view.page('al', 1)).to.equal(page)
    view.note('bz', 'c'.repeat(64), 7)
    expect(view.page('al', 1)).to.not.equal(page)
    expect(view.page('al', 1)).to.deep.equal({ users: [{ name: 'bo', createdAt: listed[1]?.createdAt }], more: true })
    expect(view.page('bo', 1)).to.deep.equal({ users: [{ name: 'bz', createdAt: 7 }], more: true })
    view.forget('bz')
    expect(view.page('bo', 1)).to.deep.equal({ users: [{ name: 'cy', createdAt: listed[2]?.createdAt }], more: false })
    // a directory of an older version sends adds without their time: the copy cannot list those
    const old = { head: 2, changes: [{ seq: 1, type: 'user-added', name: 'old', tokenHash: 'd'.repeat(64) }, { seq: 2, type: 'user-added', name: 'new', tokenHash: 'e'.repeat(64), ts: 5 }] }
    const older = { entity: () => ({ ask: async () => old }) } as unknown as ActorSystem
    const copy = new DirectoryView({ system: older, log: quiet, refreshMs: 60_000 })
    await copy.refresh()
    expect(copy.loaded).to.equal(true)
    expect(copy.lookup('d'.repeat(64))).to.equal('old')
    expect(copy.page(undefined, 10)).to.equal(undefined)
    // once that user is gone (removed here), the copy lists again
    copy.forget('old')
    expect(copy.page(undefined, 10)).to.deep.equal({ users: [{ name: 'new', createdAt: 5 }], more: false })
    // and a change whose time is not a number fails the refresh, changing nothing
    const bad = new DirectoryView({ system: { entity: () => ({ ask: async () => ({ head: 1, changes: [{ seq: 1, type: 'user-added', name: 'x', tokenHash: 'f'.repeat(64), ts: 'soon' }] }) }) } as unknown as ActorSystem, log: quiet, refreshMs: 60_000 })
    await bad.refresh()
    expect(bad.loaded).to.equal(false)
  })

  it('should take a directory state of an older shape (an old snapshot) and go on from it', () => {
    const users = { ann: { tokenHash: 'a'.repeat(64), createdAt: 1 } }
    const before = { users, byToken: { ['a'.repeat(64)]: 'ann' } } as unknown as UserDirectoryState
    const flat = { buckets: [{}, users, {}], count: 1 } as unknown as UserDirectoryState
    for (const old of [before, flat]) {
      const next = userDirectory.applyEvent(old, { type: 'user-added', name: 'bob', tokenHash: 'b'.repeat(64), ts: 2 }, 2)
      expect(next.count).to.equal(2)
      expect(next.pages).to.have.length(USER_PAGES)
      expect(next.pages.flatMap((p) => p.flatMap((b) => Object.keys(b))).sort()).to.deep.equal(['ann', 'bob'])
    }
  })

  it('should copy one bucket and one page per added user, not every user (the 100,000th add as cheap as the first)', () => {
    let state = userDirectory.initialState('all')
    for (let i = 0; i < 100_000; i++) {
      const before = state
      state = userDirectory.applyEvent(state, { type: 'user-added', name: `user${i}`, tokenHash: 'c'.repeat(64), ts: i }, i + 1)
      // every page but one, and every bucket of it but one, is shared with the state before
      const pages = state.pages.map((p, j) => p === before.pages[j] ? -1 : j).filter((j) => j >= 0)
      if (pages.length !== 1) throw new Error(`add ${i} copied ${pages.length} pages`)
      const j = pages[0] as number
      const buckets = (state.pages[j] ?? []).filter((b, k) => b !== before.pages[j]?.[k]).length
      if (buckets !== 1) throw new Error(`add ${i} copied ${buckets} buckets`)
    }
    expect(state.count).to.equal(100_000)
    expect(state.pages.every((p) => p.length === PAGE_BUCKETS)).to.equal(true)
    // spread: no bucket holds more than a few dozen of the 100,000 users
    expect(Math.max(...state.pages.flatMap((p) => p.map((b) => Object.keys(b).length)))).to.be.lessThan(30)
  })

  it('should snapshot the directory after as many events as it has users (a snapshot\'s cost per add stays the same)', () => {
    const every = userDirectory.snapshotEvery as (state: UserDirectoryState) => number
    expect(every(userDirectory.initialState('all'))).to.equal(10_000)
    let state = userDirectory.initialState('all')
    for (let i = 0; i < 30_000; i++) state = userDirectory.applyEvent(state, { type: 'user-added', name: `u${i}`, tokenHash: 'c'.repeat(64), ts: i }, i + 1)
    expect(every(state)).to.equal(30_000)
  })
})

describe('DirectoryView in a cluster (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should let every node authenticate while the directory\'s owner is cut off, and revoke a removed user on every node within the refresh', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const views = nodes.map((n) => new DirectoryView({ system: n.system, log: quiet, refreshMs: 200 }))
    const accounts = nodes.map((n, i) => new UserAccounts(n.system, views[i]))
    try {
      for (const v of views) v.start()
      const alice = await (accounts[0] as UserAccounts).add('alice')
      await waitFor(() => views.every((v) => v.lookup(hashToken(alice.token)) === 'alice'), 'every node to copy alice', { timeout: 10_000, interval: 20 })
      // the directory's owner is cut off from the two others
      const ownerId = (nodes[0] as TestNode).cluster.placement.ownerOf('users', 'chat', 'all') as string
      const owner = nodes.find((n) => n.id === ownerId) as TestNode
      const others = nodes.filter((n) => n !== owner)
      await owner.host.partition(others.map((n) => n.id))
      for (const o of others) await o.host.partition([owner.id])
      for (const [i, n] of nodes.entries()) {
        if (n !== owner) expect(await (accounts[i] as UserAccounts).authenticate(alice.token), `node ${i}`).to.equal('alice')
      }
      for (const n of nodes) n.host.heal()
      await waitFor(() => others.every((o) => o.host.members().find((m) => m.peerId === owner.id)?.status === 'up') &&
        owner.host.members().filter((m) => m.status === 'up').length === 2, 'the cluster whole again', { timeout: 20_000, interval: 25 })
      for (const n of nodes) n.cluster.refresh()
      await retryUnavailable(async () => await (accounts[1] as UserAccounts).remove('alice'))
      // every other node drops her within a refresh (waited for, bounded)
      await waitFor(() => views.every((v) => v.lookup(hashToken(alice.token)) === null), 'every node to revoke alice', { timeout: 10_000, interval: 20 })
      for (const a of accounts) expect(await a.authenticate(alice.token)).to.equal(undefined)
    } finally {
      for (const v of views) v.stop()
    }
  })
})
