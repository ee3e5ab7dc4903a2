import { expect } from 'chai'
import { MAX_COMMAND_DEADLINE_MS } from '../../../actors/index.ts'
import { MAX_COMMANDS_PER_PLUGIN, MAX_COMMAND_DESCRIPTION, buildRoomPluginView } from '../../../node/room-plugins/index.ts'
import { DEFAULT_BEFORE_POST_BUDGET_MS, DEFAULT_TOOL_DEADLINE_MS, MAX_BEFORE_POST_BUDGET_MS } from '../../../protocols/index.ts'

describe('buildRoomPluginView', () => {
  const warnings: Array<{ obj: object, msg: string }> = []
  const log = { warn: (obj: object, msg: string) => { warnings.push({ obj, msg }) } }
  beforeEach(() => { warnings.length = 0 })

  it('should gather commands and hooks, a command two plugins declare going to the first by name', () => {
    const view = buildRoomPluginView([
      { name: 'zeta', capability: { api: '1.0.0', commands: [{ name: 'roll', description: 'late' }, { name: 'flip', description: 'a coin' }], hooks: { afterPost: true } } },
      { name: 'alpha', capability: { api: '1.0.0', commands: [{ name: 'roll', description: 'dice' }], hooks: { beforePost: true, afterPost: false } }, beforePost: { budgetMs: 50, onFailure: 'refuse' } },
      { name: 'plain', capability: undefined }
    ], log)
    expect([...view.commands.values()]).to.deep.equal([
      { name: 'roll', plugin: 'alpha', description: 'dice', deadlineMs: DEFAULT_TOOL_DEADLINE_MS },
      { name: 'flip', plugin: 'zeta', description: 'a coin', deadlineMs: DEFAULT_TOOL_DEADLINE_MS }])
    expect(view.beforePost).to.deep.equal([{ plugin: 'alpha', budgetMs: 50, onFailure: 'refuse' }])
    expect(view.afterPost).to.deep.equal(['zeta'])
    expect(warnings.map((w) => w.msg)).to.deep.equal(['plugin: a command another plugin declared first is left out'])
  })

  it('should bound budgets and deadlines, defaulting the policy to allow', () => {
    const view = buildRoomPluginView([
      { name: 'a', capability: { hooks: { beforePost: true } }, beforePost: { budgetMs: 60_000 } },
      { name: 'b', capability: { hooks: { beforePost: true } }, beforePost: { budgetMs: -1, onFailure: 'maybe' as never } },
      { name: 'c', capability: { commands: [{ name: 'slow', description: '' }] }, callDeadlineMs: 10 * 60_000 }
    ], log)
    expect(view.beforePost).to.deep.equal([
      { plugin: 'a', budgetMs: MAX_BEFORE_POST_BUDGET_MS, onFailure: 'allow' }, { plugin: 'b', budgetMs: DEFAULT_BEFORE_POST_BUDGET_MS, onFailure: 'allow' }])
    expect(view.commands.get('slow')?.deadlineMs).to.equal(MAX_COMMAND_DEADLINE_MS)
  })

  it('should leave out what breaks the protocol, with a log line, and keep the rest of that plugin', () => {
    const many = Array.from({ length: MAX_COMMANDS_PER_PLUGIN + 3 }, (_v, i) => ({ name: `c${i}`, description: 'd'.repeat(MAX_COMMAND_DESCRIPTION + 50) }))
    const view = buildRoomPluginView([
      { name: 'odd', capability: 'plexi please' },
      { name: 'list', capability: [1] },
      { name: 'bad', capability: { commands: 'roll', hooks: 'all' } },
      { name: 'mixed', capability: { commands: [{ name: 'Roll' }, { name: 'ok', description: 5 }, { name: 'ok' }, null, { name: 'x'.repeat(40) }], hooks: { afterPost: 'yes' } } },
      { name: 'many', capability: { commands: many } }
    ], log)
    expect(view.commands.get('ok')).to.deep.equal({ name: 'ok', plugin: 'mixed', description: '', deadlineMs: DEFAULT_TOOL_DEADLINE_MS })
    expect([...view.commands.values()].filter((c) => c.plugin === 'many')).to.have.length(MAX_COMMANDS_PER_PLUGIN)
    expect(view.commands.get('c0')?.description).to.have.length(MAX_COMMAND_DESCRIPTION)
    expect(view.afterPost).to.deep.equal([])
    expect(view.beforePost).to.deep.equal([])
    const said = warnings.map((w) => w.msg)
    expect(said.filter((m) => m.includes('is not an object'))).to.have.length(2)
    expect(said).to.include('plugin: its plexi capability\'s commands are not a list; left out')
    expect(said.filter((m) => m.includes('or is declared twice'))).to.have.length(4)
    expect(said).to.include(`plugin: commands past the first ${MAX_COMMANDS_PER_PLUGIN} are left out`)
  })
})
