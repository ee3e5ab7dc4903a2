import type { Command } from 'commander'
import type { CliIo } from '../cli-io.ts'

/**
 * The `plexi` command groups, in the order `plexi --help` lists them, each module loaded here.
 * With `nodeOnly`, only the node's own (`node`, `config`, `cluster`): a running node keeps every
 * module it ever loaded, and `plexi node start` needs no other command's (about 250 KB of source,
 * docs/performance.md "Idle memory").
 */
export async function commandGroups (io: CliIo, nodeOnly = false): Promise<Command[]> {
  const { nodeCommands } = await import('./node-commands.ts')
  if (nodeOnly) return nodeCommands(io)
  const [admin, chat, agent, model, backup, tls, completion] = await Promise.all([
    import('./admin-commands.ts'), import('./chat-commands.ts'), import('./agent-commands.ts'), import('./model-commands.ts'),
    import('./backup-commands.ts'), import('./tls-commands.ts'), import('./completion-commands.ts')
  ])
  return [...nodeCommands(io), admin.adminCommands(io), chat.chatCommands(io), agent.agentCommands(io), model.modelCommands(io),
    backup.backupCommands(io), tls.tlsCommands(io), completion.completionCommands(io)]
}
