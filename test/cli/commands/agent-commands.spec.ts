import { expect } from 'chai'
import { runCli } from '../../helpers/node-process.ts'
import { plexiInProcess } from '../../helpers/plexi-in-process.ts'

/** The agent commands' own checks; their answers from a real node are in test/integration/agent.spec.ts. */
describe('agentCommands', function () {
  this.timeout(30_000)

  it('should name the command meant when an agent subcommand is misspelt', async () => {
    const result = await runCli(['agent', 'aks', 'hi'])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/unknown command 'aks'\n\(Did you mean ask\?\)/)
  })

  it('should refuse sampling and history bounds out of range before it connects, naming the flag', async () => {
    for (const [args, message] of [
      [['history', '--limit', '201'], /--limit: expected an integer from 1 to 200, got "201"/],
      [['configure', '--temperature', '3'], /--temperature: expected a number from 0 to 2, got "3"/],
      [['configure', '--top-p', 'most'], /--top-p: expected a number from 0 to 1/],
      [['configure', '--top-k', '1001'], /--top-k: expected an integer from 0 to 1000/],
      [['configure', '--max-tokens', '0'], /--max-tokens: expected an integer from 1 to 1048576/]
    ] as const) {
      const result = await plexiInProcess(['agent', ...args, '--addr', '127.0.0.1:1', '--token', 't'])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr, args.join(' ')).to.match(message)
    }
  })

  it('should list the connection and output flags on ask, and take them before or after it', async () => {
    const help = await runCli(['agent', 'ask', '--help'])
    for (const flag of ['--addr', '--user', '--token', '--tls-ca', '--data-dir', '--json']) expect(help.stdout, flag).to.include(flag)
    for (const args of [['agent', '--addr', 'nowhere', 'ask', 'hi'], ['agent', 'ask', 'hi', '--addr', 'nowhere']]) {
      const result = await plexiInProcess([...args, '--token', 't'])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr).to.match(/--addr: expected host:port/)
    }
  })
})
