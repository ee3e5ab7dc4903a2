import { Argument, Command } from 'commander'
import { UsageError } from '../cli-errors.ts'
import type { CliIo } from '../cli-io.ts'
import { COMPLETION_SHELLS, completionScript } from '../completion-script.ts'
import type { CompletionShell } from '../completion-script.ts'
import { completeCommandTree } from './lazy-command.ts'

/** `plexi completion bash|zsh`: the shell completion script of the program this command is part
 * of, made from its command tree when asked (so it lists what this plexi has). */
export function completionCommands (io: CliIo): Command {
  const shell = new Argument('<shell>', 'the shell to complete in')
    .choices(COMPLETION_SHELLS)
    // our own words rather than commander's for a shell we do not know
    .argParser((value: string) => {
      if (!(COMPLETION_SHELLS as readonly string[]).includes(value)) throw new UsageError(`completion: expected a shell, ${COMPLETION_SHELLS.join(' or ')}, got ${JSON.stringify(value.slice(0, 40))}`)
      return value
    })
  return new Command('completion')
    .description('print a shell completion script (bash or zsh) on stdout: commands, subcommands and flags complete on TAB')
    .addArgument(shell)
    .addHelpText('after', `
The script is made from this plexi's own commands; make it again after an upgrade to complete what
is new (sourcing it from your shell's startup file does that by itself). It completes plexi and
npx plexi alike (npx plexi completion bash works too); for a bare plexi on your PATH, run npm link in
the project (or npm install -g .).

bash:
  source <(plexi completion bash)                 # this shell
  echo 'source <(plexi completion bash)' >> ~/.bashrc   # every new one

zsh (compinit loaded, as most setups do):
  source <(plexi completion zsh)                  # this shell, or add the line to ~/.zshrc
  # or as a file on $fpath, before compinit runs in ~/.zshrc:
  mkdir -p ~/.zsh/completions && plexi completion zsh > ~/.zsh/completions/_plexi
  # ~/.zshrc: fpath=(~/.zsh/completions $fpath); autoload -Uz compinit && compinit`)
    .action(async (name: CompletionShell, _flags: unknown, command: Command) => {
      let program = command
      while (program.parent !== null) program = program.parent
      // every flag of every command, those that lazy commands add when they run included
      await completeCommandTree(program)
      io.stdout.write(completionScript(program, name))
    })
}
