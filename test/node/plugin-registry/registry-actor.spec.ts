import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { InvalidPeerRequestError } from '../../../node/mesh/index.ts'
import { MAX_LOGS_PAGE, PLUGIN_REGISTRY_PATH, PluginCallStats, checkRegistryActorMsg, spawnRegistryActor } from '../../../node/plugin-registry/index.ts'
import type { HostedRun, MemberPluginStatus, PluginLogLine, RegistryActorMsg } from '../../../node/plugin-registry/index.ts'

/** What a host says runs here: a version restarting after a crash, and the one it replaces. */
const runs: HostedRun[] = [
  { name: 'clock', version: '1.0.0', state: 'up', restarts: 0, rssBytes: 50_000_000 },
  { name: 'clock', version: '1.1.0', state: 'restarting', restarts: 2, rssBytes: 0, lastExit: { reason: 'crash', detail: 'x'.repeat(900), at: 5 } }
]
const host = {
  running: () => runs,
  logs: (name: string, version?: string): string[] => {
    if (version === '1.1.0') throw new Error('not running any more')
    return [`${name} ${version ?? ''} up`, 'call echo']
  }
}

describe('registryActor: /plugin-registry on every node', () => {
  let system: ActorSystem
  afterEach(async () => { await system.terminate() })
  const ask = async <T>(msg: (replyTo: never) => unknown): Promise<T> => await system.actorAt<RegistryActorMsg>({ node: system.node, path: PLUGIN_REGISTRY_PATH }).ask<T>(msg as never)

  it('should pass on news of the catalog, and answer what runs here with its calls and the running versions\' last lines', async () => {
    system = new ActorSystem({ node: 'n1' })
    let changed = 0
    const calls = new PluginCallStats()
    calls.observe('clock', 'ok', 0.002)
    calls.observe('clock', 'timeout', 0.004)
    const failures = [{ name: 'other', version: '2.0.0', error: 'no entry', attempts: 1, retryAt: 9 }]
    spawnRegistryActor(system, { reconciler: { changed: () => { changed++ }, failures: () => failures }, host, calls })
    system.actorAt<RegistryActorMsg>({ node: 'n1', path: PLUGIN_REGISTRY_PATH }).tell({ type: 'changed' })
    const answer = await ask<MemberPluginStatus>((replyTo) => ({ type: 'status', replyTo }))
    expect(changed).to.equal(1)
    expect(answer).to.deep.include({ node: 'n1', runs: true, failures })
    expect(answer.plugins[0]).to.deep.equal({ name: 'clock', version: '1.0.0', state: 'up', restarts: 0, calls: 2, errors: 1, latencyMs: 3, memoryBytes: 50_000_000, lastError: null })
    expect(answer.plugins[1]).to.deep.include({ version: '1.1.0', state: 'restarting', restarts: 2, memoryBytes: null })
    expect(answer.plugins[1]?.lastError?.length, 'the host\'s text is clipped').to.equal(500)
    expect(await ask<PluginLogLine[]>((replyTo) => ({ type: 'logs', name: 'clock', limit: 10, replyTo }))).to.deep.equal([{ version: '1.0.0', line: 'clock 1.0.0 up' }, { version: '1.0.0', line: 'call echo' }])
    expect(await ask<PluginLogLine[]>((replyTo) => ({ type: 'logs', name: 'clock', limit: 1, replyTo }))).to.deep.equal([{ version: '1.0.0', line: 'call echo' }])
  })

  it('should answer on a node that runs no plugins, and refuse a malformed ask without stopping', async () => {
    system = new ActorSystem({ node: 'n2' })
    spawnRegistryActor(system, undefined)
    expect(await ask<MemberPluginStatus>((replyTo) => ({ type: 'status', replyTo }))).to.deep.equal({ node: 'n2', runs: false, plugins: [], failures: [] })
    const refused = await ask((replyTo) => ({ type: 'logs', name: '../x', limit: 1, replyTo })).then(() => undefined, (e: unknown) => e)
    expect(refused).to.be.instanceOf(InvalidPeerRequestError)
    expect(await ask<PluginLogLine[]>((replyTo) => ({ type: 'logs', name: 'clock', limit: 1, replyTo }))).to.deep.equal([])
  })

  it('should check every message another node sends', () => {
    const replyTo = { askId: 'a', node: 'n' }
    expect(checkRegistryActorMsg({ type: 'changed' })).to.deep.equal({ type: 'changed' })
    expect(checkRegistryActorMsg({ type: 'status', replyTo }).type).to.equal('status')
    for (const bad of [null, 7, { type: 'status' }, { type: 'logs', name: 'clock', limit: 0, replyTo }, { type: 'logs', name: 'clock', limit: MAX_LOGS_PAGE + 1, replyTo }, { type: 'drop', replyTo }]) {
      expect(() => checkRegistryActorMsg(bad), JSON.stringify(bad)).to.throw(InvalidPeerRequestError)
    }
  })
})
