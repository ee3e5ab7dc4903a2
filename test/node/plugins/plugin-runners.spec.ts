import { expect } from 'chai'
import { onFirstRunner, runnersOf } from '../../../node/plugins/plugin-runners.ts'
import type { ToolMember } from '../../../node/plugins/index.ts'
import { rejection } from '../../helpers/thrown.ts'

const member = (peerId: string, plugins: Array<[string, string]>, status = 'up', servers: string[] = []): ToolMember => ({ peerId, status, plugins: plugins.map(([name, version]) => ({ name, version })), servers })

describe('plugin runners', () => {
  it('should rank the members up that run a source, the newest version first, then by peer id, never this node', () => {
    const members = [member('d', [['clock', '1.0.0']]), member('c', [['clock', '1.2.0']]), member('b', [['clock', '1.0.0']]), member('self', [['clock', '9.0.0']]),
      member('e', [['clock', '2.0.0']], 'down'), member('f', [['other', '1.0.0']]), member('g', [], 'up', ['clock']), member('h', [])]
    expect(runnersOf(members, 'self', 'clock').map((m) => m.peerId)).to.deep.equal(['c', 'b', 'd', 'g'])
    expect(runnersOf(members, 'self').map((m) => m.peerId)).to.deep.equal(['b', 'c', 'd', 'f', 'g'])
  })

  it('should go to the next member only while they refuse before a plugin was reached', async () => {
    const tried: string[] = []
    const refusal = (name: string): Error => Object.assign(new Error(name), { name })
    const runners = ['a', 'b', 'c', 'd'].map((p) => member(p, [['clock', '1.0.0']]))
    const answer = await onFirstRunner(runners, async (peer) => {
      tried.push(peer)
      if (peer === 'a') throw refusal('PluginNotFoundError')
      if (peer === 'b') throw refusal('ActorStoppedError')
      if (peer === 'c') throw refusal('PluginBusyError')
      return `from ${peer}`
    })
    expect([answer, tried]).to.deep.equal(['from d', ['a', 'b', 'c', 'd']])
    tried.length = 0
    const err = await rejection(() => onFirstRunner(runners, async (peer) => { tried.push(peer); throw refusal('PluginTimeoutError') }))
    expect([err.name, tried]).to.deep.equal(['PluginTimeoutError', ['a']])
    expect((await rejection(() => onFirstRunner(runners.slice(0, 2), async () => { throw refusal('PluginNotFoundError') }))).name).to.equal('PluginNotFoundError')
  })
})
