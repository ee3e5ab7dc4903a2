import { expect } from 'chai'
import { ActorSystem, toolPolicy } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { ToolPolicy } from '../../../node/users/index.ts'
import type { ToolSpec } from '../../../protocols/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const spec = (source: string, tool: string): ToolSpec => ({ name: `${source}__${tool}`, source: { kind: 'plugin', name: source }, tool, description: tool, inputSchema: { type: 'object' } })
const failure = async (p: Promise<unknown>): Promise<Error> => await p.then(() => { throw new Error('expected a refusal') }, (e: Error) => e)

describe('ToolPolicy (a real actor system and LevelDB journal)', function () {
  this.timeout(20_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  /** How many times a policy entity was asked (through the counted view of the system). */
  let asked: number
  let counted: Pick<ActorSystem, 'entity'>

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(toolPolicy)
    asked = 0
    counted = { entity: (type, key) => { asked++; return system.entity(type, key) } }
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  it('should grant, revoke and switch, and let allowed() follow at once when the change went through it', async () => {
    const policy = new ToolPolicy({ system: counted })
    expect(await policy.allowed('ann', spec('clock', 'now'))).to.equal(false)
    expect(await policy.grant('ann', ['clock__*', 'calc__add'])).to.deep.equal({ granted: ['calc__add', 'clock__*'], enabled: [], disabled: [] })
    expect(await policy.allowed('ann', spec('clock', 'now'))).to.equal(true)
    await policy.switch('ann', { disable: ['clock__*'], enable: [] })
    expect(await policy.allowed('ann', spec('clock', 'now'))).to.equal(false)
    await policy.switch('ann', { enable: ['clock__now'] })
    expect([await policy.allowed('ann', spec('clock', 'now')), await policy.allowed('ann', spec('clock', 'zone'))]).to.deep.equal([true, false])
    await policy.revoke('ann', ['clock__*'])
    expect(await policy.allowed('ann', spec('clock', 'now'))).to.equal(false)
    expect(await policy.view('ann')).to.deep.equal({ granted: ['calc__add'], enabled: ['clock__now'], disabled: ['clock__*'] })
    // another user has nothing
    expect(await policy.allowed('bob', spec('calc', 'add'))).to.equal(false)
  })

  it('should read a user\'s policy once for the calls of one tool list, and again once its copy is old', async () => {
    const policy = new ToolPolicy({ system: counted, cacheMs: 50 })
    const other = new ToolPolicy({ system })
    await other.grant('ann', ['calc__add'])
    const tools = Array.from({ length: 20 }, (_, i) => spec('calc', i === 0 ? 'add' : `op${i}`))
    expect((await Promise.all(tools.map(async (t) => await policy.allowed('ann', t)))).filter(Boolean)).to.have.length(1)
    expect(asked, 'policy reads').to.equal(1)
    // revoked through another node: this one follows within its cache time
    await other.revoke('ann', ['calc__add'])
    await waitFor(async () => !await policy.allowed('ann', spec('calc', 'add')), 'the revoke to apply here', { timeout: 5_000 })
    expect(asked).to.be.at.least(2)
  })

  it('should answer allowed() from the policy a view just read, without reading it again', async () => {
    const policy = new ToolPolicy({ system: counted, cacheMs: 60_000 })
    await new ToolPolicy({ system }).grant('ann', ['calc__add'])
    expect(await policy.view('ann')).to.deep.equal({ granted: ['calc__add'], enabled: [], disabled: [] })
    expect([await policy.allowed('ann', spec('calc', 'add')), await policy.allowed('ann', spec('calc', 'sub'))]).to.deep.equal([true, false])
    expect(asked, 'policy reads').to.equal(1)
    // a view reads the policy again whatever is kept
    await policy.view('ann')
    expect(asked).to.equal(2)
  })

  it('should refuse bad names before it asks anything, and the policy\'s own refusals with their names', async () => {
    const policy = new ToolPolicy({ system: counted })
    expect((await failure(policy.grant('Ann!', ['clock__now']))).message).to.equal('invalid user name "Ann!": expected 1-32 characters of a-z, 0-9, _ and -, starting with a letter')
    const badTool = await failure(policy.grant('ann', ['clock__now', 'rm -rf']))
    expect(badTool).to.include({ name: 'InvalidNameError', kind: 'invalid' })
    expect(badTool.message).to.match(/^invalid tool "rm -rf": expected <source>__<tool> or <source>__\*/)
    expect((await failure(policy.switch('ann', { enable: ['x'.repeat(500)] }))).message.length).to.be.below(300)
    expect((await failure(policy.view('constructor ')))).to.include({ name: 'InvalidNameError' })
    expect(asked).to.equal(0)
    expect(await failure(policy.switch('ann', { enable: ['clock__now'] }))).to.include({ name: 'ToolNotGrantedError', kind: 'denied' })
    expect(await policy.allowed('Ann!', spec('clock', 'now'))).to.equal(false)
  })

  it('should allow nothing, and say so, when the policy cannot be read', async () => {
    const bare = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    try {
      const warned: string[] = []
      // a node without the policy entity: no policy can be read there
      const policy = new ToolPolicy({ system: bare, log: { warn: (_obj, msg) => { warned.push(msg) } } })
      expect(await policy.allowed('ann', spec('clock', 'now'))).to.equal(false)
      expect(warned).to.have.length(1)
      expect(warned[0]).to.match(/^the tool policy of ann could not be read \(.+\): no tool is allowed until it can$/)
      // a failed read is not kept
      expect(await policy.allowed('ann', spec('clock', 'now'))).to.equal(false)
      expect(warned).to.have.length(2)
    } finally {
      await bare.terminate()
    }
  })
})
