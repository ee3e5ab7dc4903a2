import { expect } from 'chai'
import fc from 'fast-check'
import { ClassicLevel } from 'classic-level'
import { ActorSystem, InvalidMessageError, createPlainCodec, entityTypeKey, isSuperseded } from '../../../actors/index.ts'
import type { EntityType, Journal, ReplyTo } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// ---- test entity types ------------------------------------------------------------------------

class InsufficientFundsError extends Error {
  override readonly name = 'InsufficientFundsError'
}

type AccountMsg =
  | { type: 'deposit', amount: number, replyTo: ReplyTo<number> }
  | { type: 'withdraw', amount: number, replyTo: ReplyTo<number> }
  | { type: 'balance', replyTo: ReplyTo<{ balance: number, seq: number }> }
  | { type: 'crash-after-deposit', amount: number }
  | { type: 'sleep' }
type AccountEvent = { type: 'deposited', amount: number } | { type: 'withdrew', amount: number }
interface AccountState { readonly balance: number, readonly movements: number }

function accountType (options: Partial<EntityType<AccountMsg, AccountState, AccountEvent>> = {}): EntityType<AccountMsg, AccountState, AccountEvent> {
  return {
    type: 'account',
    role: 'storage',
    initialState: () => ({ balance: 0, movements: 0 }),
    applyEvent (state, event) {
      switch (event.type) {
        case 'deposited': return { balance: state.balance + event.amount, movements: state.movements + 1 }
        case 'withdrew': return { balance: state.balance - event.amount, movements: state.movements + 1 }
      }
    },
    async receive (ctx, msg) {
      switch (msg.type) {
        case 'deposit':
          await ctx.persist({ type: 'deposited', amount: msg.amount })
          ctx.reply(msg.replyTo, ctx.state.balance)
          return
        case 'withdraw':
          if (msg.amount > ctx.state.balance) {
            ctx.fail(msg.replyTo, new InsufficientFundsError(`balance ${ctx.state.balance} < ${msg.amount}`))
            return
          }
          await ctx.persist({ type: 'withdrew', amount: msg.amount })
          ctx.reply(msg.replyTo, ctx.state.balance)
          return
        case 'balance':
          ctx.reply(msg.replyTo, { balance: ctx.state.balance, seq: ctx.seq })
          return
        case 'crash-after-deposit':
          await ctx.persist({ type: 'deposited', amount: msg.amount })
          throw new Error('crashed after persisting')
        case 'sleep':
          ctx.passivate()
      }
    },
    ...options
  }
}

/** Appends items; persists without awaiting (pipelined) and acknowledges when durable. */
type ListMsg =
  | { type: 'add', items: string[], replyTo: ReplyTo<number> }
  | { type: 'get', replyTo: ReplyTo<ListState> }
  | { type: 'history', from: number, replyTo: ReplyTo<Array<{ seq: number, event: ListEvent }>> }
type ListEvent = { type: 'added', item: string }
interface ListState { readonly items: readonly string[] }

function listType (snapshotEvery: number | ((state: ListState) => number)): EntityType<ListMsg, ListState, ListEvent> {
  return {
    type: 'list',
    role: 'chat',
    snapshotEvery,
    initialState: () => ({ items: [] }),
    applyEvent: (state, event) => ({ items: [...state.items, event.item] }),
    receive (ctx, msg) {
      switch (msg.type) {
        case 'add': {
          const seq = ctx.seq + msg.items.length
          void ctx.persist(msg.items.map((item) => ({ type: 'added' as const, item })))
            .then(() => { ctx.reply(msg.replyTo, seq) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return
        }
        case 'get':
          ctx.reply(msg.replyTo, ctx.state)
          return
        case 'history':
          return ctx.events(msg.from, 1000).then((records) => { ctx.reply(msg.replyTo, records) })
      }
    }
  }
}

/** Work that outlives the message that started it: `start` begins a job that ends when the test
 * says (`finish`), and its end comes back to the entity as a message to itself. Busy meanwhile. */
type JobMsg =
  | { type: 'start', replyTo: ReplyTo<string> }
  | { type: 'job-ended', how: 'finished' | 'interrupted' }
  | { type: 'events', replyTo: ReplyTo<string[]> }
type JobEvent = { type: 'job-ended', how: 'finished' | 'interrupted' }
interface JobVolatile { running: { finish: () => void, stop: () => void, asker: ReplyTo<string> } | undefined }

function jobType (): EntityType<JobMsg, { ended: string[] }, JobEvent, JobVolatile> & { finish: (key: string) => void } {
  const finishers = new Map<string, () => void>()
  return {
    type: 'job',
    role: 'ai',
    initialState: () => ({ ended: [] }),
    applyEvent: (state, event) => ({ ended: [...state.ended, event.how] }),
    createVolatile: () => ({ running: undefined }),
    busy: (ctx) => ctx.volatile.running !== undefined,
    interrupt (ctx) { ctx.volatile.running?.stop() },
    async receive (ctx, msg) {
      switch (msg.type) {
        case 'start': {
          const self = ctx.self
          let end!: (how: 'finished' | 'interrupted') => void
          new Promise<'finished' | 'interrupted'>((resolve) => { end = resolve }).then((how) => { self.tell({ type: 'job-ended', how }) }, () => undefined)
          ctx.volatile.running = { finish: () => { end('finished') }, stop: () => { end('interrupted') }, asker: msg.replyTo }
          finishers.set(ctx.key, () => { end('finished') })
          return
        }
        case 'job-ended': {
          const running = ctx.volatile.running
          if (running === undefined) return
          ctx.volatile.running = undefined
          await ctx.persist({ type: 'job-ended', how: msg.how })
          ctx.reply(running.asker, msg.how)
          return
        }
        case 'events':
          ctx.reply(msg.replyTo, ctx.state.ended)
      }
    },
    finish: (key) => { finishers.get(key)?.() }
  }
}

const ACCOUNT = entityTypeKey<AccountMsg>('account')
const LIST = entityTypeKey<ListMsg>('list')

const deposit = (system: ActorSystem, key: string, amount: number): Promise<number> =>
  system.entity(ACCOUNT, key).ask<number>((replyTo) => ({ type: 'deposit', amount, replyTo }))
const balance = (system: ActorSystem, key: string): Promise<{ balance: number, seq: number }> =>
  system.entity(ACCOUNT, key).ask<{ balance: number, seq: number }>((replyTo) => ({ type: 'balance', replyTo }))

// ---- specs --------------------------------------------------------------------------------------

describe('entities', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  let system: ActorSystem

  async function open (types: Array<EntityType<any, any, any, any>> = [accountType()]): Promise<void> {
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: journal = await openLocalJournal(store), strictSerialization: true })
    for (const type of types) system.registerEntity(type)
  }

  async function close (): Promise<void> {
    await system.terminate()
    await store.close()
  }

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await close()
    await dir.remove()
  })

  it('should activate an entity on its first message and list it', async () => {
    await open()
    expect(system.entities()).to.deep.equal([])
    expect(await deposit(system, 'alice', 10)).to.equal(10)
    expect(system.entities('account')).to.deep.equal([{ type: 'account', key: 'alice', status: 'running', mailbox: 0 }])
    expect(system.stats.entityActivations).to.equal(1)
    expect(system.lookup('/entities/account/alice')).to.not.equal(undefined)
    expect(system.entityTypes()).to.deep.equal([{ type: 'account', role: 'storage' }])
  })

  it('should passivate an idle entity and recover its state on the next message', async () => {
    await open([accountType({ idleTimeout: 20 })])
    await deposit(system, 'bob', 5)
    await deposit(system, 'bob', 7)
    await waitFor(() => system.entities().length === 0, 'passivation', { timeout: 2_000 })
    expect(system.stats.entityPassivations).to.equal(1)
    expect(await balance(system, 'bob')).to.deep.equal({ balance: 12, seq: 2 })
    expect(system.stats.entityActivations).to.equal(2)
  })

  it('should passivate on request once its mailbox is empty', async () => {
    await open()
    const ref = system.entity(ACCOUNT, 'carol')
    await deposit(system, 'carol', 1)
    ref.tell({ type: 'sleep' })
    const after = ref.ask<number>((replyTo) => ({ type: 'deposit', amount: 2, replyTo }))
    expect(await after).to.equal(3)
    await waitFor(() => system.entities().length === 0, 'passivation')
    expect(await balance(system, 'carol')).to.deep.equal({ balance: 3, seq: 2 })
  })

  it('should lose no message sent while the entity passivates and reactivates', async function () {
    this.timeout(20_000)
    await open([accountType({ idleTimeout: 1 })])
    const ref = system.entity(ACCOUNT, 'dave')
    let sent = 0
    const acks: Array<Promise<number>> = []
    const send = (): void => {
      sent++
      acks.push(deposit(system, 'dave', 1))
    }
    for (let round = 0; round < 40; round++) {
      sent++
      await deposit(system, 'dave', 1)
      // the mailbox is empty: this passivates the entity as soon as it is handled, and the
      // deposits below race that passivation (sent at once, after a microtask, after a timer)
      ref.tell({ type: 'sleep' })
      switch (round % 4) {
        case 0: send(); break
        case 1: await Promise.resolve(); send(); send(); break
        case 2: await new Promise((resolve) => setImmediate(resolve)); send(); break
        case 3: await new Promise((resolve) => setTimeout(resolve, 1)); send(); send(); break
      }
    }
    await Promise.all(acks)
    expect(system.stats.entityPassivations).to.be.at.least(10)
    expect(system.stats.entityActivations).to.be.at.least(system.stats.entityPassivations)
    expect(await balance(system, 'dave')).to.deep.equal({ balance: sent, seq: sent })
  })

  it('should recover every entity exactly after a restart on the same data dir', async () => {
    await open()
    const expected: Record<string, { balance: number, seq: number }> = {}
    for (let i = 0; i < 20; i++) {
      const key = `user-${i}`
      for (let j = 0; j <= i % 5; j++) await deposit(system, key, i + j)
      expected[key] = await balance(system, key)
    }
    await close()
    await open()
    for (const [key, value] of Object.entries(expected)) expect(await balance(system, key), key).to.deep.equal(value)
  })

  it('should recover from snapshot plus later events to exactly the live state', async function () {
    this.timeout(60_000)
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
      async (snapshotEvery, batches) => {
        await close()
        await dir.remove()
        dir = await tempDir()
        await open([listType(snapshotEvery)])
        const list = system.entity(LIST, 'l')
        await Promise.all(batches.map((items) => list.ask<number>((replyTo) => ({ type: 'add', items, replyTo }))))
        const live = await list.ask<ListState>((replyTo) => ({ type: 'get', replyTo }))
        expect(live.items).to.deep.equal(batches.flat())
        await close()
        await open([listType(snapshotEvery)])
        // the kernel snapshots when a batch takes the seq `snapshotEvery` or more past the last one
        let expectedSnapshot = 0
        let seq = 0
        for (const items of batches) {
          seq += items.length
          if (seq - expectedSnapshot >= snapshotEvery) expectedSnapshot = seq
        }
        const snapshot = await journal.storage.loadSnapshot('list/l')
        expect(snapshot?.seq ?? 0).to.equal(expectedSnapshot)
        const recovered = await system.entity(LIST, 'l').ask<ListState>((replyTo) => ({ type: 'get', replyTo }))
        expect(recovered).to.deep.equal(live)
      }), { numRuns: 15, seed: 20261122 })
  })

  it('should snapshot by a function of the state when snapshotEvery is one (after as many events as the list has items)', async () => {
    await open([listType((state) => Math.max(2, state.items.length))])
    const list = system.entity(LIST, 'growing')
    // one item at a time: the interval is asked at each snapshot, of the state then: snapshots at
    // 2, 4 (2 more), 8 (4 more), 16 (8 more); the next would be at 32
    for (let i = 0; i < 20; i++) await list.ask<number>((replyTo) => ({ type: 'add', items: [`i${i}`], replyTo }))
    const { waitFor } = await import('../../helpers/wait-for.ts')
    await waitFor(async () => (await journal.storage.loadSnapshot('list/growing'))?.seq === 16, 'the snapshot at 16', { timeout: 10_000, interval: 5 })
    await close()
    await open([listType((state) => Math.max(2, state.items.length))])
    const recovered = await system.entity(LIST, 'growing').ask<ListState>((replyTo) => ({ type: 'get', replyTo }))
    expect(recovered.items).to.deep.equal(Array.from({ length: 20 }, (_, i) => `i${i}`))
  })

  it('should keep the order of pipelined writes and read them back as history', async () => {
    await open([listType(10)])
    const list = system.entity(LIST, 'pipelined')
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      list.ask<number>((replyTo) => ({ type: 'add', items: [`item-${i}`], replyTo }))))
    expect(acks).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1))
    const history = await list.ask<Array<{ seq: number, event: ListEvent }>>((replyTo) => ({ type: 'history', from: 195, replyTo }))
    expect(history.map((r) => [r.seq, r.event.item])).to.deep.equal([195, 196, 197, 198, 199, 200].map((s) => [s, `item-${s - 1}`]))
  })

  it('should keep a persisted event when the handler crashes after persisting, and recover it', async () => {
    await open()
    await deposit(system, 'erin', 10)
    system.entity(ACCOUNT, 'erin').tell({ type: 'crash-after-deposit', amount: 5 })
    await waitFor(() => system.stats.restarts === 1, 'the restart')
    expect(await balance(system, 'erin')).to.deep.equal({ balance: 15, seq: 2 })
  })

  it('should reject with the entity\'s own typed error and change nothing', async () => {
    await open()
    await deposit(system, 'frank', 3)
    const err = await system.entity(ACCOUNT, 'frank')
      .ask<number>((replyTo) => ({ type: 'withdraw', amount: 5, replyTo })).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'InsufficientFundsError')
    expect(await balance(system, 'frank')).to.deep.equal({ balance: 3, seq: 1 })
  })

  it('should detect a corrupt event on activation and fail the waiting asks with its name', async () => {
    await open()
    await deposit(system, 'gina', 1)
    await deposit(system, 'gina', 2)
    await close()
    await flipByte(dir.path, (key) => key.startsWith('r\x00') && key.includes('\x00account/gina\x00') && key.endsWith('2'))
    await open()
    const err = await balance(system, 'gina').then(() => null, (e: unknown) => e as Error)
    expect(err?.name).to.equal('ActorStoppedError')
    expect(err?.message).to.match(/CorruptRecordError: corrupt record at .*account\/gina.*SHA-256 does not match/)
    expect(causes(err)).to.include('CorruptRecordError')
    expect(await deposit(system, 'other', 1)).to.equal(1)
  })

  it('should fall back to a full replay when the snapshot is corrupt', async () => {
    await open([accountType({ snapshotEvery: 2 })])
    for (let i = 1; i <= 5; i++) await deposit(system, 'hank', i)
    await waitFor(async () => (await journal.storage.loadSnapshot('account/hank'))?.seq === 4, 'the snapshot at seq 4')
    await close()
    await flipByte(dir.path, (key) => key.startsWith('p\x00') && key.endsWith('\x00account/hank'))
    await open([accountType({ snapshotEvery: 2 })])
    expect(await balance(system, 'hank')).to.deep.equal({ balance: 15, seq: 5 })
  })

  it('should refuse messages and events that are not plain data, naming the field', async () => {
    type M = { type: 'put', value: unknown, replyTo?: ReplyTo<number> }
    const bad: EntityType<M, { n: number }, { type: 'put', value: unknown }> = {
      type: 'loose',
      role: 'chat',
      initialState: () => ({ n: 0 }),
      applyEvent: (s) => ({ n: s.n + 1 }),
      async receive (ctx, msg) {
        await ctx.persist({ type: 'put', value: msg.value })
        if (msg.replyTo !== undefined) ctx.reply(msg.replyTo, ctx.state.n)
      }
    }
    await open([bad])
    const ref = system.entity(entityTypeKey<M>('loose'), 'x')
    expect(() => ref.tell({ type: 'put', value: new Map([['a', 1]]) })).to.throw(/message to loose\/x.value is not plain data: found an instance of Map/)
    const err = await ref.ask<number>((replyTo) => ({ type: 'put', value: { when: new Date(0) }, replyTo })).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'NotSerializableError')
    expect((err as Error).message).to.match(/value.when is not plain data: found an instance of Date/)
    // a message can be plain while the event built from it is not: the handler crashes, nothing is journaled
    expect(await journal.head('loose/x')).to.equal(0)
    expect(await ref.ask<number>((replyTo) => ({ type: 'put', value: [1, 'two', null, new Uint8Array([3])], replyTo }))).to.equal(1)
  })

  it('should round-trip every entity type\'s messages, events and state through msgpackr unchanged', async () => {
    await open([accountType(), listType(3)])
    const codec = createPlainCodec()
    const samples: Record<string, { messages: unknown[], events: unknown[] }> = {
      account: {
        messages: [{ type: 'deposit', amount: 1.5, replyTo: { askId: 'a1', node: 'n' } }, { type: 'sleep' }],
        events: [{ type: 'deposited', amount: 2 }, { type: 'withdrew', amount: 0.25 }]
      },
      list: {
        messages: [{ type: 'add', items: ['a', '', 'ünï'], replyTo: { askId: 'z', node: 'n' } }],
        events: [{ type: 'added', item: 'x' }]
      }
    }
    for (const { type } of system.entityTypes()) {
      const sample = samples[type]
      expect(sample, `samples for entity type ${type}`).to.not.equal(undefined)
      for (const value of [...(sample?.messages ?? []), ...(sample?.events ?? [])]) {
        expect(codec.decode(codec.encode(value))).to.deep.equal(value)
      }
    }
    await deposit(system, 'ivy', 4)
    await system.entity(LIST, 'k').ask<number>((replyTo) => ({ type: 'add', items: ['p', 'q', 'r'], replyTo }))
    const [account, list] = await Promise.all([balance(system, 'ivy'), system.entity(LIST, 'k').ask<ListState>((replyTo) => ({ type: 'get', replyTo }))])
    expect(codec.decode(codec.encode(list))).to.deep.equal(list)
    await waitFor(async () => (await journal.storage.loadSnapshot('list/k')) !== undefined, 'the snapshot')
    expect((await journal.storage.loadSnapshot('list/k'))?.state).to.deep.equal(list)
    expect(account).to.deep.equal({ balance: 4, seq: 1 })
  })

  it('should stop, not restart in a loop, an entity whose journal cannot be taken (replicas unavailable), and take it on the next message', async () => {
    store = await LevelStore.open(dir.path)
    const real = await openLocalJournal(store)
    journal = real
    let unavailable = true
    const flaky = {
      open: async (id: string) => {
        if (unavailable) throw Object.assign(new Error(`${id}: taking the entity needs 2 replicas, 1 answered`), { name: 'ReplicasUnavailableError', kind: 'unavailable' })
        return await real.open(id)
      }
    }
    system = new ActorSystem({ journal: flaky, strictSerialization: true })
    system.registerEntity(accountType())
    const err = await deposit(system, 'lena', 1).then(() => null, (e: unknown) => e as Error)
    expect(err?.name).to.equal('ActorStoppedError')
    expect(causes(err)).to.include('ReplicasUnavailableError')
    expect(system.stats.restarts).to.equal(0)
    unavailable = false
    expect(await deposit(system, 'lena', 1)).to.equal(1)
  })

  it('should stop, never restart in place, an entity whose journal a newer owner fenced, say so once, and leave it alone until the view changes', async () => {
    store = await LevelStore.open(dir.path)
    const real = await openLocalJournal(store)
    journal = real
    const fences: Array<(err: Error) => void> = []
    const fenceable = {
      open: async (id: string, handedOver?: unknown) => {
        const j = await real.open(id, handedOver)
        const onFailed = j.onFailed.bind(j)
        j.onFailed = (listener) => {
          fences.push(listener)
          onFailed(listener)
        }
        return j
      }
    }
    const lines: Array<{ level: string, msg: string, err: boolean }> = []
    const logAt = (level: string) => (obj: object, msg?: string): void => { lines.push({ level, msg: msg ?? '', err: 'err' in obj }) }
    system = new ActorSystem({ journal: fenceable, strictSerialization: true, logger: { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') } })
    system.registerEntity(accountType())
    // a mesh whose view makes this node the owner of everything
    const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {} })
    expect(await deposit(system, 'pia', 4)).to.equal(4)
    expect(fences).to.have.length(1)
    // what replication raises when the replicas promised a newer epoch to another node
    const stale = Object.assign(new Error('account/pia: epoch 1 is stale, its replicas promised epoch 2 to a newer owner'), { name: 'StaleEpochError', kind: 'unavailable', superseded: true })
    fences[0]?.(stale)
    await waitFor(() => system.entities('account').length === 0, 'the superseded activation stops')
    expect(system.stats.restarts).to.equal(0)
    expect(system.stats.entitiesSuperseded).to.equal(1)
    expect(fences).to.have.length(1, 'no activation took the journal again')
    const said = lines.filter((l) => l.msg.includes('account/pia'))
    expect(said.map((l) => l.level)).to.deep.equal(['info'])
    expect(said[0]?.msg).to.include('a newer owner took it')
    expect(said[0]?.err).to.equal(false, 'no stack')
    // this node's own message does not take it back while its view is unchanged: a retryable refusal
    const err = await deposit(system, 'pia', 1).then(() => null, (e: unknown) => e as Error)
    expect(err?.name).to.equal('EntitySupersededError')
    expect(isSuperseded(err)).to.equal(true)
    expect(fences).to.have.length(1)
    // once the view changes the entity follows it (here: this node, which recovers every write)
    port.viewChanged()
    expect(await deposit(system, 'pia', 1)).to.equal(5)
    expect(fences).to.have.length(2)
  })

  it('should confirm a hold whose lease lapsed before a message sees the state: refuse the message when too few replicas answer, stop when a newer owner took it', async () => {
    store = await LevelStore.open(dir.path)
    const real = await openLocalJournal(store)
    journal = real
    const lease = { current: true, confirms: 0, outcome: 'ok' as 'ok' | 'unavailable' | 'superseded' }
    const leased = {
      open: async (id: string, handedOver?: unknown) => {
        const j = await real.open(id, handedOver)
        return Object.assign(j, {
          current: () => lease.current,
          confirm: async () => {
            lease.confirms++
            if (lease.outcome === 'unavailable') throw Object.assign(new Error(`${id}: confirming needs 1 replica, 0 answered`), { name: 'ReplicasUnavailableError', kind: 'unavailable' })
            if (lease.outcome === 'superseded') throw Object.assign(new Error(`${id}: epoch 1 is stale`), { name: 'StaleEpochError', kind: 'unavailable', superseded: true })
            lease.current = true
            return j.head
          }
        })
      }
    }
    system = new ActorSystem({ journal: leased, strictSerialization: true })
    system.registerEntity(accountType())
    expect(await deposit(system, 'rui', 2)).to.equal(2)
    expect(lease.confirms).to.equal(0, 'a current hold answers without a round trip')
    lease.current = false
    expect(await deposit(system, 'rui', 3)).to.equal(5)
    expect(lease.confirms).to.equal(1)
    // too few replicas: this message is refused with the reason, the entity stays
    lease.current = false
    lease.outcome = 'unavailable'
    const refused = await deposit(system, 'rui', 1).then(() => null, (e: unknown) => e as Error)
    expect(refused?.name).to.equal('ReplicasUnavailableError')
    expect(system.entities('account')).to.have.length(1)
    expect(system.stats.restarts).to.equal(0)
    // a newer owner: the message is answered superseded (its asker resends) and the activation stops
    lease.outcome = 'superseded'
    const moved = await deposit(system, 'rui', 1).then(() => null, (e: unknown) => e as Error)
    expect(isSuperseded(moved)).to.equal(true)
    await waitFor(() => system.entities('account').length === 0, 'the superseded activation stops')
    expect(system.stats.restarts).to.equal(0)
    expect(system.stats.entitiesSuperseded).to.equal(1)
  })

  it('should activate nothing new while the mesh says the view is partial, and keep serving what is active', async () => {
    await open()
    let whole = true
    system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {}, mayActivate: () => whole })
    expect(await deposit(system, 'sam', 1)).to.equal(1)
    whole = false
    expect(await deposit(system, 'sam', 1)).to.equal(2, 'an entity active here goes on')
    const err = await deposit(system, 'tia', 1).then(() => null, (e: unknown) => e as Error)
    expect(err?.name).to.equal('PartialViewError')
    expect(err?.message).to.match(/^account\/tia: this node hears too few members/)
    expect(system.entities('account').map((e) => e.key)).to.deep.equal(['sam'])
    whole = true
    expect(await deposit(system, 'tia', 1)).to.equal(1)
  })

  /** The local journal with its appends held back while `hold` is set, until `release()`;
   * `pending` counts the appends waiting. */
  async function gatedJournal (): Promise<{ journal: Journal, hold: boolean, pending: number, release: () => void }> {
    store = await LevelStore.open(dir.path)
    const real = await openLocalJournal(store)
    journal = real
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const gated = {
      hold: false,
      pending: 0,
      release: () => { release() },
      journal: {
        open: async (id: string, handedOver?: unknown) => {
          const j = await real.open(id, handedOver)
          const append = j.append.bind(j)
          j.append = async (records) => {
            if (gated.hold) {
              gated.pending++
              await gate
            }
            await append(records)
          }
          return j
        }
      }
    }
    return gated
  }

  it('should stop every entity for a node\'s stop only once its writes are durable, and activate none after', async () => {
    const gated = await gatedJournal()
    system = new ActorSystem({ journal: gated.journal, strictSerialization: true })
    system.registerEntity(accountType())
    await deposit(system, 'mia', 1)
    gated.hold = true
    const acked = deposit(system, 'mia', 2)
    await waitFor(() => gated.pending === 1, 'the write to be under way', { timeout: 5_000, interval: 5 })
    let stopped = false
    const stopping = system.stopEntities(10_000).then((left) => { stopped = true; return left })
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(stopped, 'stopped while its write was in flight').to.equal(false)
    gated.release()
    expect(await acked).to.equal(3)
    expect(await stopping, 'entities that did not stop').to.equal(0)
    expect(system.entities()).to.deep.equal([])
    // nothing activates after it: a message for it is refused, and nothing changes
    const late = await deposit(system, 'mia', 5).then(() => null, (e: unknown) => e as Error)
    expect(late?.name).to.equal('ActorStoppedError')
    await system.terminate()
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(accountType())
    expect(await balance(system, 'mia')).to.deep.equal({ balance: 3, seq: 2 })
  })

  it('should say how many entities did not stop with their writes durable within the time given', async () => {
    const gated = await gatedJournal()
    system = new ActorSystem({ journal: gated.journal, strictSerialization: true })
    system.registerEntity(accountType())
    await deposit(system, 'noa', 1)
    await deposit(system, 'olga', 1)
    gated.hold = true
    const acked = deposit(system, 'noa', 2)
    await waitFor(() => gated.pending === 1, 'the write to be under way', { timeout: 5_000, interval: 5 })
    expect(await system.stopEntities(20), 'noa, its write held').to.equal(1)
    gated.release()
    expect(await acked).to.equal(3)
  })

  it('should fail a write that does not reach the journal with JournalWriteError', async () => {
    await open()
    await deposit(system, 'jack', 1)
    await store.close()
    const err = await deposit(system, 'jack', 1).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'JournalWriteError')
    expect(causes(err)).to.include('StoreClosedError')
  })

  /** A job entity `key` whose work has begun (it is busy), what it ends with, and its journal. */
  async function startedJob (key: string): Promise<{ job: ReturnType<typeof jobType>, ended: Promise<string>, events: () => Promise<string[]> }> {
    const job = jobType()
    await open([job])
    const ref = system.entity(job, key)
    const ended = ref.ask<string>((replyTo) => ({ type: 'start', replyTo }), { timeout: 10_000 })
    const events = (): Promise<string[]> => ref.ask<string[]>((replyTo) => ({ type: 'events', replyTo }))
    // handled in order: once `events` is answered, the job has begun
    expect(await events()).to.deep.equal([])
    return { job, ended, events }
  }

  it('should wait for busy work to end before a stop goes on, its end coming back to the same activation', async () => {
    const { job, ended, events } = await startedJob('j1')
    let settled = false
    const settling = system.settleEntities(10_000, 1_000).then((r) => { settled = true; return r })
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled, 'settled while the job still runs').to.equal(false)
    job.finish('j1')
    expect(await settling).to.deep.equal({ interrupted: 0, busy: 0 })
    expect(await ended).to.equal('finished')
    expect(await events()).to.deep.equal(['finished'])
  })

  it('should interrupt the work still running when the stop cannot wait any longer, and let it end cleanly', async () => {
    const { ended, events } = await startedJob('j2')
    expect(await system.settleEntities(1, 5_000)).to.deep.equal({ interrupted: 1, busy: 0 })
    expect(await ended).to.equal('interrupted')
    expect(await events()).to.deep.equal(['interrupted'])
    // nothing is busy: a stop goes on at once
    expect(await system.settleEntities(1, 1)).to.deep.equal({ interrupted: 0, busy: 0 })
  })

  it('should check each local message against its type in strict mode: a refused one is answered and never reaches the entity', async () => {
    // a deposit must be a positive integer (receive would journal anything)
    const check = (msg: unknown): void => {
      const amount = (msg as { amount?: unknown }).amount
      if ((msg as { type?: unknown }).type === 'deposit' && !(Number.isInteger(amount) && (amount as number) > 0)) throw new InvalidMessageError(`amount: expected a positive integer, got ${String(amount)}`)
    }
    await open([accountType({ check })])
    await deposit(system, 'kim', 3)
    for (const amount of [-5, 0.5, '7']) {
      const err = await deposit(system, 'kim', amount as number).then(() => null, (e: unknown) => e)
      expect(err, String(amount)).to.be.instanceOf(InvalidMessageError)
    }
    expect(system.entity(ACCOUNT, 'kim').tell({ type: 'deposit', amount: -1 } as never)).to.equal(false)
    expect(await balance(system, 'kim')).to.deep.equal({ balance: 3, seq: 1 })
    expect([system.stats.refusals, system.stats.failures, system.stats.restarts]).to.deep.equal([4, 0, 0])
    // outside strict mode a local message is trusted (only other nodes' messages are checked)
    await close()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: journal = await openLocalJournal(store) })
    system.registerEntity(accountType({ check }))
    expect(await deposit(system, 'kim', -5)).to.equal(-2)
    expect(system.stats.refusals).to.equal(0)
  })

  it('should give applyEvent each event\'s own seq, the same live and in recovery from a snapshot', async () => {
    type SeqMsg = { type: 'add', replyTo: ReplyTo<readonly number[]> }
    const seqType = (): EntityType<SeqMsg, { seqs: readonly number[] }, { type: 'added' }> => ({
      type: 'seqs',
      role: 'chat',
      snapshotEvery: 2,
      initialState: () => ({ seqs: [] }),
      applyEvent: (state, _event, seq) => ({ seqs: [...state.seqs, seq] }),
      async receive (ctx, msg) {
        await ctx.persist([{ type: 'added' }, { type: 'added' }])
        ctx.reply(msg.replyTo, ctx.state.seqs)
      }
    })
    await open([seqType()])
    const add = (): Promise<readonly number[]> => system.entity(entityTypeKey<SeqMsg>('seqs'), 's').ask((replyTo) => ({ type: 'add', replyTo }))
    await add()
    expect(await add()).to.deep.equal([1, 2, 3, 4])
    await close()
    await open([seqType()])
    expect((await journal.storage.loadSnapshot('seqs/s'))?.seq).to.equal(4)
    expect(await add()).to.deep.equal([1, 2, 3, 4, 5, 6])
  })

  it('should refuse unknown types, bad keys and bad entity definitions with clear errors', async () => {
    await open()
    expect(() => system.entity(entityTypeKey('nope'), 'x')).to.throw(/unknown entity type "nope"; registered: account/)
    for (const key of ['', 'a/b', 'bell\u0007', '$x', 'k'.repeat(201)]) {
      expect(() => system.entity(ACCOUNT, key), JSON.stringify(key)).to.throw().with.property('name', 'InvalidNameError')
    }
    expect(() => system.registerEntity(accountType())).to.throw().with.property('name', 'EntityTypeTakenError')
    expect(() => system.registerEntity(accountType({ type: 'Bad Type' }))).to.throw(/must match/)
    expect(() => system.registerEntity(accountType({ type: 'roleless', role: 'gpu' as 'ai' }))).to.throw(/role must be one of chat, ai, storage, backup/)
    expect(() => system.registerEntity(accountType({ type: 'snappy', snapshotEvery: 0 }))).to.throw(/snapshotEvery must be a positive integer/)
    expect(() => system.registerEntity(accountType({ type: 'checky', check: 'yes' as never }))).to.throw(/check must be a function/)
    const bare = new ActorSystem()
    expect(() => bare.registerEntity(accountType())).to.throw(/needs a journal: pass one to the ActorSystem/)
    await bare.terminate()
  })
})

/** Flips one byte in the payload of the first value whose key matches, with the store closed. */
async function flipByte (path: string, match: (key: string) => boolean): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  try {
    for await (const [key, value] of db.iterator()) {
      if (!match(key)) continue
      const copy = Uint8Array.from(value)
      const at = copy.length - 1
      copy[at] = (copy[at] as number) ^ 0x01
      await db.put(key, copy)
      return
    }
    throw new Error('no key matched')
  } finally {
    await db.close()
  }
}

function causes (err: unknown): string[] {
  const names: string[] = []
  for (let e = err; e instanceof Error; e = e.cause) names.push(e.name)
  return names
}
