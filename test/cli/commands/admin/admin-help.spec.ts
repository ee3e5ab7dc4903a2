import { expect } from 'chai'
import { adminCommands } from '../../../../cli/commands/admin-commands.ts'
import { ADMIN_HELP, SUMMARY_MAX } from '../../../../cli/commands/admin/admin-help.ts'
import { processIo } from '../../../../cli/cli-io.ts'
import { runCli } from '../../../helpers/node-process.ts'

describe('admin-help', () => {
  it('should give every admin command a heading and a summary of one short line, and name only commands that exist', () => {
    const admin = adminCommands(processIo())
    const names = admin.commands.map((c) => c.name())
    const listed = ADMIN_HELP.flatMap(([, commands]) => commands.map(([name]) => name))
    expect([...listed].sort()).to.deep.equal([...names].sort())
    for (const [, commands] of ADMIN_HELP) {
      for (const [name, summary] of commands) expect(summary.length, name).to.be.within(1, SUMMARY_MAX)
    }
    for (const command of admin.commands) expect(command.summary(), command.name()).to.not.equal('')
  })

  it('should print admin\'s help as headings of one-line commands, each command\'s own help keeping its whole description', async () => {
    const help = await runCli(['admin', '--help'])
    expect(help.code).to.equal(0)
    for (const [heading] of ADMIN_HELP) expect(help.stdout).to.include(`\n${heading}\n`)
    const lines = help.stdout.split('\n')
    expect(lines.filter((l) => l.length > 80), 'no line wraps past 80 columns').to.deep.equal([])
    expect(lines.length).to.be.below(70)
    const drain = await runCli(['admin', 'drain', '--help'])
    expect(drain.stdout).to.include('--force drains it anyway')
  })
})
