import { expect } from 'chai'
import { Command } from 'commander'
import { LazyCommand, completeCommandTree } from '../../../cli/commands/lazy-command.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('LazyCommand', () => {
  it('should add what its subcommands need once, however often it is completed', async () => {
    let loads = 0
    const sub = new Command('sub')
    const lazy = new LazyCommand('lazy', async () => {
      loads++
      sub.option('--late <value>', 'a flag added when the command runs')
    })
    lazy.addCommand(sub)
    expect(sub.options).to.deep.equal([])
    await Promise.all([lazy.complete(), lazy.complete()])
    await lazy.complete()
    expect(loads).to.equal(1)
    expect(sub.options.map((o) => o.long)).to.deep.equal(['--late'])
  })

  it('should complete every lazy command of a tree, nested ones included, and leave the others as they are', async () => {
    const completed: string[] = []
    const program = new Command('p')
    const outer = new LazyCommand('outer', async () => { completed.push('outer') })
    const inner = new LazyCommand('inner', async () => { completed.push('inner') })
    outer.addCommand(inner)
    program.addCommand(outer)
    program.addCommand(new Command('plain'))
    await completeCommandTree(program)
    expect(completed).to.deep.equal(['outer', 'inner'])
  })

  it('should let a subcommand\'s flags added on completion parse when the program completes it before dispatching', async () => {
    let seen: unknown
    const sub = new Command('sub')
    const lazy = new LazyCommand('lazy', async () => {
      sub.option('--late <value>', 'a late flag').action((flags: { late?: string }) => { seen = flags.late })
    })
    lazy.addCommand(sub)
    const program = new Command('p').addCommand(lazy)
    program.hook('preSubcommand', async (_program, command) => { await completeCommandTree(command) })
    await program.parseAsync(['lazy', 'sub', '--late', 'yes'], { from: 'user' })
    expect(seen).to.equal('yes')
  })

  it('should fail every completion the same way when its loading failed', async () => {
    const lazy = new LazyCommand('broken', async () => { throw new Error('cannot load') })
    expect((await rejection(() => lazy.complete())).message).to.equal('cannot load')
    expect((await rejection(() => completeCommandTree(lazy))).message).to.equal('cannot load')
  })
})
