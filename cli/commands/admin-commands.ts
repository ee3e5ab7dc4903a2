import { Command } from 'commander'
import type { CliIo } from '../cli-io.ts'
import { withClientOptions } from '../client-options.ts'
import { actorsCommand, migrateCommand } from './admin/actors-commands.ts'
import { adminContext } from './admin/admin-context.ts'
import { summarizeAdminCommands } from './admin/admin-help.ts'
import { auditCommands } from './admin/audit-commands.ts'
import { backupsCommands } from './admin/backups-commands.ts'
import { clusterCommand } from './admin/cluster-commands.ts'
import { jobsCommand } from './admin/jobs-commands.ts'
import { topCommand } from './admin/metrics-commands.ts'
import { mcpServersCommands } from './admin/mcp-servers-commands.ts'
import { modelsCommands } from './admin/models-commands.ts'
import { leaveCommands, nodesCommand, rolesCommands } from './admin/nodes-commands.ts'
import { partitionsCommand, repairCommand } from './admin/partitions-commands.ts'
import { pluginsCommands } from './admin/plugins-commands.ts'
import { restoreCommand } from './admin/restores-commands.ts'
import { roomsCommands } from './admin/rooms-commands.ts'
import { scrubCommand, storageCommand } from './admin/storage-commands.ts'
import { tokensCommands } from './admin/tokens-commands.ts'
import { usersCommands } from './admin/users-commands.ts'

/**
 * `plexi admin ...`: drives a node over its admin endpoint. Each resource's commands are in
 * cli/commands/admin/<resource>-commands.ts, beside its routes (node/admin/routes) and its schemas
 * (protocols/admin) of the same name. Its help lists them under headings, one line each (admin/admin-help.ts).
 */
export function adminCommands (io: CliIo): Command {
  // connection and output flags go before the subcommand or after it (the last one given wins)
  const admin = withClientOptions(new Command('admin')
    .description('drive a node over its admin endpoint (token: --admin-token, PLEXI_ADMIN_TOKEN or <data-dir>/admin-token)'), 'admin')
  const cx = adminContext(io)
  for (const add of [
    usersCommands, roomsCommands, tokensCommands, auditCommands, clusterCommand, nodesCommand, topCommand, actorsCommand, partitionsCommand, repairCommand,
    scrubCommand, storageCommand, jobsCommand, migrateCommand, leaveCommands, backupsCommands, restoreCommand, rolesCommands, modelsCommands, pluginsCommands, mcpServersCommands
  ]) add(admin, cx)
  // (one line each in admin's help, under headings; a command's own --help says it all)
  summarizeAdminCommands(admin)
  return admin
}
