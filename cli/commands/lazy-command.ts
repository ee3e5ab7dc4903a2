import { Command } from 'commander'

/**
 * A command whose subcommands take their flags and actions from modules loaded only when it runs,
 * so that every other command starts without loading those modules (`plexi model` needs
 * runtimes/, which loads Piscina and the GGUF code; `plexi chat send` does not). `complete` adds
 * them: the program completes a command's tree before it dispatches to it (commander's
 * preSubcommand hook, which parseAsync awaits before the command parses its flags or prints its
 * help, `--help` and `plexi help model` alike); the completion script, which lists every flag,
 * completes the whole tree first (completeCommandTree).
 */
export class LazyCommand extends Command {
  readonly #complete: (command: LazyCommand) => Promise<void>
  #completing: Promise<void> | undefined

  constructor (name: string, complete: (command: LazyCommand) => Promise<void>) {
    super(name)
    this.#complete = complete
  }

  /** Loads what its subcommands need and adds their flags and actions, once. */
  complete (): Promise<void> {
    this.#completing ??= this.#complete(this)
    return this.#completing
  }
}

/** Completes every LazyCommand in the tree under `command` (itself included). */
export async function completeCommandTree (command: Command): Promise<void> {
  if (command instanceof LazyCommand) await command.complete()
  for (const sub of command.commands) await completeCommandTree(sub)
}
