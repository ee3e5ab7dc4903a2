import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { InvalidPeerRequestError } from '../../../node/mesh/index.ts'
import { MAX_LOGS_PAGE, PLUGIN_REGISTRY_PATH, PluginLogs, checkRegistryActorMsg, spawnRegistryActor } from '../../../node/plugin-registry/index.ts'
import type { HostedStatus, MemberPluginStatus, PluginLogLine, RegistryActorMsg } from '../../../node/plugin-registry/index.ts'

const status: HostedStatus = { name: 'clock', version: '1.0.0', state: 'restarting', restarts: 2, calls: 1, errors: 0, latencyMs: 1, memoryBytes: null, lastError: 'x'.repeat(900) }

describe('registryActor: /plugin-registry on every node', () => {
  let system: ActorSystem
  afterEach(async () => { await system.terminate() })
  const ask = async <T>(msg: (replyTo: never) => unknown): Promise<T> => await system.actorAt<RegistryActorMsg>({ node: system.node, path: PLUGIN_REGISTRY_PATH }).ask<T>(msg as never)

  it('should pass on news of the catalog, and answer what runs here and a plugin\'s last lines', async () => {
    system = new ActorSystem({ node: 'n1' })
    let changed = 0
    const logs = new PluginLogs(() => 7)
    logs.add('clock', '1.0.0', 'clock 1.0.0 up')
    spawnRegistryActor(system, { reconciler: { changed: () => { changed++ }, status: () => ({ plugins: [status], failures: [] }) }, logs })
    system.actorAt<RegistryActorMsg>({ node: 'n1', path: PLUGIN_REGISTRY_PATH }).tell({ type: 'changed' })
    const answer = await ask<MemberPluginStatus>((replyTo) => ({ type: 'status', replyTo }))
    expect(changed).to.equal(1)
    expect(answer.node).to.equal('n1')
    expect(answer.runs).to.equal(true)
    expect(answer.plugins[0]?.lastError?.length, 'the host\'s text is clipped').to.be.at.most(501)
    expect(await ask<PluginLogLine[]>((replyTo) => ({ type: 'logs', name: 'clock', limit: 10, replyTo }))).to.deep.equal([{ ts: 7, version: '1.0.0', line: 'clock 1.0.0 up' }])
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
