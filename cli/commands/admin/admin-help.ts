import type { Command } from 'commander'

/** The most characters of a summary in `plexi admin --help` (one line beside its name). */
export const SUMMARY_MAX = 45

/**
 * How `plexi admin --help` lists its commands: under a heading each, with a summary of one line
 * (each command's own --help keeps its whole description). Every admin command is here (a spec
 * checks it).
 */
export const ADMIN_HELP: ReadonlyArray<readonly [heading: string, commands: ReadonlyArray<readonly [name: string, summary: string]>]> = [
  ['Users and rooms:', [
    ['users', 'users and their tokens'],
    ['rooms', 'rooms: list, redact any post, what each keeps'],
    ['retention', 'what rooms keep; the job dropping the rest'],
    ['tokens', 'named admin tokens, read-only or full'],
    ['audit', 'every admin action, hash-chained']
  ]],
  ['The cluster:', [
    ['cluster', 'every member, and whether writes can be taken'],
    ['nodes', 'every member'],
    ['top', 'a live view of the cluster, like top'],
    ['actors', 'live actors and active entities'],
    ['roles', 'the roles of members (placement follows them)'],
    ['jobs', 'long operations: progress, follow, cancel'],
    ['migrate', 'move one entity live to another member'],
    ['drain', 'move a member\'s entities away, then stop it'],
    ['decommission', 'remove a member for good, its data handed off']
  ]],
  ['Storage:', [
    ['storage', 'storage nodes: active, leaving, replaced'],
    ['partitions', 'partitions, their replicas, how far each lags'],
    ['repair', 'mend what replicas hold differently (Merkle)'],
    ['scrub', 're-read and check every stored value now']
  ]],
  ['Backups:', [
    ['backup', 'encrypted backups: create, ls, verify, rm'],
    ['restore', 'restore a backup, or one room or agent of it']
  ]],
  ['Models and plugins:', [
    ['models', 'models: pull, list, load; where they run'],
    ['plugins', 'the cluster\'s plugins'],
    ['mcp-servers', 'MCP servers whose tools users may be granted']
  ]]
]

/** Gives each of admin's commands its heading and summary (ADMIN_HELP); names the ones missing. */
export function summarizeAdminCommands (admin: Command): string[] {
  const help = new Map(ADMIN_HELP.flatMap(([heading, commands]) => commands.map(([name, summary]) => [name, { heading, summary }] as const)))
  const missing: string[] = []
  for (const command of admin.commands) {
    const h = help.get(command.name())
    if (h === undefined) {
      missing.push(command.name())
      continue
    }
    command.summary(h.summary).helpGroup(h.heading)
  }
  return missing
}
