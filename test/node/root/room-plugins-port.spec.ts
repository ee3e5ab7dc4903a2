import { expect } from 'chai'
import { RoomPluginsPort } from '../../../node/root/room-plugins-port.ts'
import { PluginNotRunningError } from '../../../node/room-plugins/index.ts'
import type { PluginHooks } from '../../../node/plugins/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { keptLog } from '../../helpers/node-parts-fixture.ts'
import { rejection } from '../../helpers/thrown.ts'

const dice: PluginHooks = { plugin: 'dice', version: '1.0.0', capability: { api: '1.0.0', commands: [{ name: 'roll', description: 'rolls dice' }] }, callDeadlineMs: 5_000 }
const mod: PluginHooks = { plugin: 'mod', version: '1.0.0', capability: { api: '1.0.0', hooks: { beforePost: true, afterPost: true } }, beforePost: { budgetMs: 500, onFailure: 'refuse' } }

describe('RoomPluginsPort', () => {
  it('should have no plugins and refuse requests until bound, then keep the list it read (with each manifest\'s before-post policy and call deadline), the same array while it does not change, saying each change once', async () => {
    const port = new RoomPluginsPort()
    expect(port.plugins()).to.deep.equal([])
    expect(await rejection(() => port.request('dice', 'plexi/command', {}, 100))).to.be.instanceOf(PluginNotRunningError)
    let hooks: PluginHooks[] = []
    const asked: unknown[] = []
    const { log, lines } = keptLog()
    port.bind({ capabilities: async () => hooks, request: async (...args) => { asked.push(args); return { text: 'rolled' } } }, { failures: new ServiceFailures(), log, intervalMs: 60_000 })
    try {
      expect(() => { port.bind({ capabilities: async () => [], request: async () => undefined }, { failures: new ServiceFailures(), log }) }).to.throw('bound already')
      await port.refresh()
      hooks = [dice, mod]
      await port.refresh()
      const seen = port.plugins()
      expect(seen).to.deep.equal([
        { name: 'dice', capability: dice.capability, callDeadlineMs: 5_000 },
        { name: 'mod', capability: mod.capability, beforePost: { budgetMs: 500, onFailure: 'refuse' } }
      ])
      hooks = [{ ...dice }, { ...mod }]
      await port.refresh()
      expect(port.plugins(), 'the same list, the same array').to.equal(seen)
      hooks = []
      await port.refresh()
      expect(port.plugins()).to.deep.equal([])
      expect(await port.request('dice', 'plexi/command', { args: '2d6' }, 100)).to.deep.equal({ text: 'rolled' })
      expect(asked).to.deep.equal([['dice', 'plexi/command', { args: '2d6' }, 100]])
      expect(lines.filter((l) => l.msg.startsWith('rooms here see')).map((l) => l.msg)).to.deep.equal([
        'rooms here see the plugins\' commands and hooks: dice (/roll), mod (before-post, after-post)',
        'rooms here see the plugins\' commands and hooks: none'
      ])
    } finally {
      await port.stop()
    }
  })
})
