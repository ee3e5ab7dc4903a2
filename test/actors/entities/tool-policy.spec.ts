import { expect } from 'chai'
import fc from 'fast-check'
import { ActorSystem, TOOL_POLICY, checkToolPolicyMsg, toolPermitted, toolPolicy } from '../../../actors/index.ts'
import type { ToolPolicyView } from '../../../actors/index.ts'
import { applyPolicyEvent } from '../../../actors/entities/tool-policy.ts'
import { MAX_TOOL_GRANTS, MAX_TOOL_SWITCHES } from '../../../actors/entities/constants.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { toolPolicyMessage } from '../../helpers/entity-messages.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('toolPolicy (a real actor system and LevelDB journal)', function () {
  this.timeout(20_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem

  async function open (): Promise<void> {
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(toolPolicy)
  }
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    await open()
  })
  afterEach(async () => {
    expect([system.stats.failures, system.stats.restarts]).to.deep.equal([0, 0])
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const policy = (user = 'ann') => system.entity(TOOL_POLICY, user)
  const get = async (user = 'ann'): Promise<ToolPolicyView> => await policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'get', replyTo }))
  const grant = async (tools: string[], user = 'ann'): Promise<ToolPolicyView> => await policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'grant', tools, replyTo }))
  const revoke = async (tools: string[], user = 'ann'): Promise<ToolPolicyView> => await policy(user).ask<ToolPolicyView>((replyTo) => ({ type: 'revoke', tools, replyTo }))
  const flip = async (change: { enable?: string[], disable?: string[] }, by = 'ann'): Promise<ToolPolicyView> =>
    await policy('ann').ask<ToolPolicyView>((replyTo) => ({ type: 'switch', user: by, enable: change.enable ?? [], disable: change.disable ?? [], replyTo }))
  const failure = async (p: Promise<unknown>): Promise<Error> => await p.then(() => { throw new Error('expected a refusal') }, (e: Error) => e)

  it('should grant and revoke by name and by source, a source\'s * taking the place of its single grants, and keep it all across a restart', async () => {
    expect(await get()).to.deep.equal({ granted: [], enabled: [], disabled: [] })
    expect((await grant(['clock__now', 'calc__add'])).granted).to.deep.equal(['calc__add', 'clock__now'])
    expect((await grant(['clock__*'])).granted).to.deep.equal(['calc__add', 'clock__*'])
    // a name under a source granted whole adds nothing
    expect((await grant(['clock__zone'])).granted).to.deep.equal(['calc__add', 'clock__*'])
    await flip({ disable: ['calc__add'] })
    await system.terminate()
    await open()
    expect(await get()).to.deep.equal({ granted: ['calc__add', 'clock__*'], enabled: [], disabled: ['calc__add'] })
    expect((await revoke(['clock__*', 'files__read'])).granted).to.deep.equal(['calc__add'])
    // revoking a source's * revokes its single grants too
    await grant(['clock__now', 'clock__zone'])
    expect((await revoke(['clock__*'])).granted).to.deep.equal(['calc__add'])
  })

  it('should journal nothing for a change that changes nothing (a retried grant is safe)', async () => {
    const before = await grant(['clock__*'])
    for (let i = 0; i < 3; i++) expect(await grant(['clock__*'])).to.deep.equal(before)
    expect(await revoke(['files__read'])).to.deep.equal(before)
    await flip({ enable: ['clock__now'] })
    await system.terminate()
    const log = await (await openLocalJournal(store)).open('tool-policy/ann')
    expect(log.head, 'one grant, nothing more').to.equal(1)
    await log.close()
    await open()
  })

  it('should let its user turn granted tools off and on again, the most precise switch winning, and refuse turning on a tool not granted', async () => {
    await grant(['clock__*', 'calc__add'])
    expect(await flip({ disable: ['clock__*'] })).to.deep.include({ enabled: [], disabled: ['clock__*'] })
    const on = await flip({ enable: ['clock__now'] })
    expect(on).to.deep.include({ enabled: ['clock__now'], disabled: ['clock__*'] })
    const spec = (name: string) => ({ name: `clock__${name}`, source: { kind: 'plugin' as const, name: 'clock' } })
    expect([toolPermitted(on, spec('now')), toolPermitted(on, spec('zone'))]).to.deep.equal([true, false])
    // a whole source on again clears the user's own switches of it
    expect(await flip({ enable: ['clock__*'] })).to.deep.include({ enabled: [], disabled: [] })
    expect(await flip({ disable: ['clock__zone', 'calc__add'] })).to.deep.include({ disabled: ['calc__add', 'clock__zone'] })
    expect(await flip({ disable: ['clock__*'] })).to.deep.include({ enabled: [], disabled: ['calc__add', 'clock__*'] })
    // turning off needs no grant; turning on does
    expect((await flip({ disable: ['files__read'] })).disabled).to.include('files__read')
    const denied = await failure(flip({ enable: ['files__read'] }))
    expect(denied).to.include({ name: 'ToolNotGrantedError', kind: 'denied' })
    expect(denied.message).to.equal('files__read is not granted to you: an admin grants tools (plexi admin users tools <you> --grant files__read)')
    expect((await failure(flip({ enable: ['files__*'] }))).name).to.equal('ToolNotGrantedError')
  })

  it('should refuse another user\'s switches, a revoke of a tool granted through its source, and a policy past its limits, changing nothing', async () => {
    await grant(['clock__*'])
    const before = await get()
    expect((await failure(flip({ disable: ['clock__now'] }, 'bob')))).to.include({ name: 'PermissionDeniedError' })
    const bySource = await failure(revoke(['clock__now']))
    expect(bySource).to.include({ name: 'ToolGrantedBySourceError', kind: 'conflict' })
    expect(bySource.message).to.equal('clock__now is granted through clock__*: revoke that, then grant the tools of clock that stay')
    const many = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}__t`)
    for (let i = 0; i < MAX_TOOL_GRANTS; i += 64) await grant(many(64, `g${i}x`).slice(0, Math.min(64, MAX_TOOL_GRANTS - 1 - i)))
    const full = await failure(grant(['z1__t', 'z2__t']))
    expect(full).to.include({ name: 'ToolPolicyFullError', kind: 'conflict' })
    expect((await get()).granted).to.have.length(MAX_TOOL_GRANTS)
    for (let i = 0; i < MAX_TOOL_SWITCHES; i += 64) await flip({ disable: many(64, `d${i}x`) })
    expect(await failure(flip({ disable: ['last__t'] }))).to.include({ name: 'ToolPolicyFullError' })
    expect((await get()).disabled).to.have.length(MAX_TOOL_SWITCHES)
    expect(before.granted).to.deep.equal(['clock__*'])
    expect(system.stats.refusals).to.equal(4)
  })

  it('should answer every message its check passes and keep the state a replay of its events gives', async () => {
    let passed = 0
    await fc.assert(fc.asyncProperty(fc.array(toolPolicyMessage(), { maxLength: 10 }), async (messages) => {
      for (const msg of messages) {
        let ok = true
        try { checkToolPolicyMsg(msg) } catch { ok = false }
        let told: boolean
        try {
          told = policy().tell(msg as never)
        } catch (err) {
          expect((err as Error).name).to.equal('NotSerializableError')
          continue
        }
        expect(told, JSON.stringify(msg)).to.equal(ok)
        if (ok) passed++
      }
      await get()
    }), { numRuns: 60, seed: 20261125 })
    expect(passed).to.be.above(50)
    // the live state is what its journal replays to
    const live = await get()
    await system.terminate()
    const log = await (await openLocalJournal(store)).open('tool-policy/ann')
    let replayed = toolPolicy.initialState('ann')
    for await (const record of log.replay(1)) replayed = applyPolicyEvent(replayed, record.event as never)
    await log.close()
    await open()
    expect(replayed).to.deep.equal(live)
  })
})
