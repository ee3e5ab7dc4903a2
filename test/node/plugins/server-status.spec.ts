import { expect } from 'chai'
import { ActorSystem, mcpServerRegistry } from '../../../actors/index.ts'
import type { Behavior } from '../../../actors/index.ts'
import { PLUGINS_PATH, ServerStatus, checkServerFailures, checkServerRows } from '../../../node/plugins/index.ts'
import type { PluginsMsg } from '../../../node/plugins/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'
import { loneServers } from '../../helpers/lone-servers.ts'
import type { LoneServers } from '../../helpers/lone-servers.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const row = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'server', name: 'memory', version: '', state: 'up', active: true, pid: 7, tools: ['memory__read_graph'], restarts: 1, crashes: 0, hangs: 0, memoryKills: 0,
  rssBytes: 1, memoryMiB: 256, offline: true, upSince: 5, lastExit: null, permissions: null, ...over
})

/** A `/plugins` that answers `running` and `server-failures` with what a spec says (a member
 * whose answers are not what the protocol says). */
function answering (running: unknown, failures: unknown): Behavior<PluginsMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      if (msg.type === 'running') ctx.reply(msg.replyTo as never, running)
      else if (msg.type === 'server-failures') ctx.reply(msg.replyTo as never, failures)
      return undefined
    }
  }
}

describe('ServerStatus', function () {
  this.timeout(30_000)
  const local = useLocalEntities(entity(mcpServerRegistry))

  describe('with a real host connecting server-memory', () => {
    let s: LoneServers
    beforeEach(async () => {
      s = await loneServers(local.system, { syncMs: 60_000 })
    })
    afterEach(async () => {
      await s.close()
    })

    it('should say each server pending, then up with its tools, failed with why, on every plugins-role member that is not down', async () => {
      await s.servers.register(s.memory())
      await s.servers.register({ name: 'broken', description: '', transport: { kind: 'stdio', command: '/no/such/server' } })
      const before = await s.status.states()
      expect(before.nodes('memory').map((n) => n.state)).to.deep.equal(['pending'])
      await s.sync.sync()
      const after = await s.status.states()
      const [memory] = after.nodes('memory')
      expect(memory).to.deep.include({ node: local.system.node, state: 'up', restarts: 0, error: null, retryAt: null })
      expect(memory?.tools).to.include('memory__search_nodes')
      const [broken] = after.nodes('broken')
      expect(broken).to.deep.include({ node: local.system.node, state: 'failed', restarts: 1, tools: [], upSince: null })
      expect(broken?.retryAt).to.be.greaterThan(Date.now())
      expect(after.nodes('unknown').map((n) => n.state)).to.deep.equal(['pending'])
      expect(after.unreachable).to.deep.equal([])
    })

    it('should say a server that ended as restarting, with why it ended', async () => {
      await s.close()
      s = await loneServers(local.system, { syncMs: 60_000, timings: { restartFirstMs: 60_000, restartMaxMs: 60_000 } })
      await s.servers.register(s.memory())
      await s.sync.sync()
      const pid = s.host.host.servers()[0]?.pid
      expect(pid).to.be.a('number')
      process.kill(pid as number, 'SIGKILL')
      await waitFor(async () => (await s.status.states()).nodes('memory')[0]?.state === 'restarting', 'the crash to show', { timeout: 10_000, interval: 10 })
      const seen = (await s.status.states()).nodes('memory')[0]
      expect(seen).to.deep.include({ restarts: 1, tools: [], upSince: null, retryAt: null })
      expect(seen?.error).to.match(/^crash: /)
    })
  })

  it('should name a member that does not answer, or answers what is not its protocol, unreachable, and skip members without the role or down', async () => {
    const system = new ActorSystem({ node: 'n2' })
    try {
      system.spawn(answering([row(), { kind: 'server', name: 'x' }], []), { name: PLUGINS_PATH.slice(1) })
      const members = [{ peerId: 'n2', status: 'up', roles: ['plugins'] }, { peerId: 'n9', status: 'up', roles: ['plugins'] }, { peerId: 'n3', status: 'down', roles: ['plugins'] }, { peerId: 'n4', status: 'up', roles: ['chat'] }]
      const states = await new ServerStatus({ system, members: () => members, askMs: 200 }).states()
      expect(states.unreachable).to.deep.equal(['n2', 'n9'])
      expect(states.nodes('memory').map((n) => [n.node, n.state])).to.deep.equal([['n2', 'unreachable'], ['n9', 'unreachable']])
    } finally {
      await system.terminate()
    }
  })

  it('checkServerRows should keep the server rows of a well-formed answer and refuse anything else', () => {
    expect(checkServerRows([row(), row({ kind: 'plugin', name: 'clock', version: '1.0.0' })])).to.deep.equal([{ name: 'memory', state: 'up', tools: ['memory__read_graph'], restarts: 1, upSince: 5, lastExit: null }])
    expect(checkServerRows([row({ state: 'restarting', lastExit: { reason: 'crash', detail: 'x'.repeat(3_000), at: 9 } })])?.[0]?.lastExit?.detail).to.have.length(1_000)
    for (const bad of [undefined, {}, 'x', [null], [row({ state: 'dancing' })], [row({ tools: 'a' })], [row({ tools: [1] })], [row({ restarts: -1 })], [row({ name: 7 })], [row({ lastExit: { reason: 'crash' } })], [row({ upSince: 1.5 })]]) {
      expect(checkServerRows(bad), JSON.stringify(bad)).to.equal(undefined)
    }
  })

  it('checkServerFailures should take a well-formed answer, each error clipped, and refuse anything else', () => {
    const failure = { name: 'broken', error: 'e'.repeat(5_000), streak: 2, retryAt: 10 }
    expect(checkServerFailures([failure])?.[0]).to.deep.include({ name: 'broken', streak: 2, retryAt: 10 })
    expect(checkServerFailures([failure])?.[0]?.error).to.have.length(1_000)
    expect(checkServerFailures([])).to.deep.equal([])
    for (const bad of [null, [{ ...failure, name: 1 }], [{ ...failure, streak: 'a' }], [{ ...failure, retryAt: -1 }], [7]]) {
      expect(checkServerFailures(bad), JSON.stringify(bad)).to.equal(undefined)
    }
  })
})
