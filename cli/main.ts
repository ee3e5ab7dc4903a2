import { Command, CommanderError } from 'commander'
import type { OutputConfiguration } from 'commander'
// constants only: client commands must not load the server stack (see node/constants.ts)
import { VERSION } from '../node/constants.ts'
import { CliError, UsageError } from './cli-errors.ts'
import { processIo } from './cli-io.ts'
import type { CliIo } from './cli-io.ts'
import { commandGroups, completeCommandTree } from './commands/index.ts'

/** Exit codes: 0 ok, 1 runtime error, 2 usage error. */
export const EXIT_OK = 0
export const EXIT_RUNTIME = 1
export const EXIT_USAGE = 2

/** Runs `plexi` with `argv` (without the node and script paths); resolves with the exit code. */
export async function main (argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = await plexiProgram(io, argv)
  try {
    await completeHelpedCommand(program, argv)
    await program.parseAsync([...argv], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed its message already
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT_OK : EXIT_USAGE
    }
    if (err instanceof UsageError) {
      io.stderr.write(`plexi: ${err.message}\n`)
      return EXIT_USAGE
    }
    io.stderr.write(`plexi: ${err instanceof CliError ? err.message : describeError(err)}\n`)
    return EXIT_RUNTIME
  }
}

/** The `plexi` command tree, not yet run (completion scripts are made from it, once
 * completeCommandTree has added what its lazy commands load when they run). For `argv` that starts
 * a node, only the node's own groups (commandGroups' nodeOnly: the node keeps what it loaded). */
export async function plexiProgram (io: CliIo, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('plexi')
    .description('Plexi: an actor-model node runtime for a self-hosted AI chat platform')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
  for (const command of await commandGroups(io, argv[0] === 'node' && argv[1] === 'start')) program.addCommand(command)
  // a command's lazy parts (LazyCommand) load only when it is the one that runs
  program.hook('preSubcommand', async (_program, command) => { await completeCommandTree(command) })
  // every error starts `plexi:`, the parser's (commander's `error:`) as ours
  everywhere(program, {
    writeOut: (s) => { io.stdout.write(s) },
    writeErr: (s) => { io.stderr.write(s) },
    outputError: (s, write) => { write(s.replace(/^error: /, 'plexi: ')) }
  })
  return program
}

/** `plexi help CMD` prints CMD's help without dispatching to it, so the hook that completes a
 * command's lazy parts does not run for it: complete CMD's tree first. */
async function completeHelpedCommand (program: Command, argv: readonly string[]): Promise<void> {
  const [first, named] = argv
  if (first !== 'help' || named === undefined) return
  const command = program.commands.find((c) => c.name() === named || c.aliases().includes(named))
  if (command !== undefined) await completeCommandTree(command)
}

/** Each command of the tree throws instead of exiting, and writes through `output`. */
function everywhere (command: Command, output: OutputConfiguration): void {
  command.exitOverride()
  command.configureOutput(output)
  for (const sub of command.commands) everywhere(sub, output)
}

function describeError (err: unknown): string {
  if (err instanceof Error) return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`
  return String(err)
}
