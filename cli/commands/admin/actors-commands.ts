import type { Command } from 'commander'
import { UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import type { AdminContext } from './admin-context.ts'

/** Rows asked of each page of a listing: the most the node gives in one (fewer round trips). */
const ADMIN_PAGE = 1000

interface Actor { kind: string, path: string, key: string | null, status: string, mailbox: number, node: string }

/** `plexi admin actors`: active entities, and with --all the system actors (GET /api/v1/actors). */
export function actorsCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('actors'), 'admin')
    .description('active entities (rooms, agents, directories) on every member; --all adds the system actors that host them (entity hosts and regions, shard holders, gateways, ...), --type one kind or entity type of either')
    .option('--type <type>', 'only this kind or entity type (room, agent, users, shard-holder, ...)')
    .option('--all', 'system actors too (a node runs about 30, and a shard holder per partition it keeps)')
    .action(withFlags(async (flags: ClientFlags & { type?: string, all?: boolean }) => {
      // the node leaves the system actors out unless asked for all (a kind asked for by name is
      // listed whatever it is)
      const params = new URLSearchParams({ limit: String(ADMIN_PAGE) })
      if (flags.type !== undefined) params.set('type', flags.type)
      if (flags.all === true) params.set('all', 'true')
      const { rows: actors } = await (await cx.client(flags)).api.requestPages<Actor>(`/api/v1/actors?${params.toString()}`)
      if (flags.json === true) {
        printJson(cx.io, actors)
        return
      }
      printTable(cx.io, ['KIND', 'PATH', 'STATUS', 'MAILBOX', 'NODE'], actors.map((a) => [a.kind, a.path, a.status, String(a.mailbox), a.node]))
      if (flags.all !== true && flags.type === undefined) cx.io.stderr.write('(system actors not shown: --all shows them)\n')
    }))
}

/** `plexi admin migrate TYPE/KEY --to PEER`: one entity moved live (POST /api/v1/actors/{type}/{key}/migrate, a job). */
export function migrateCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('migrate <entity>'), 'admin')
    .description('move one entity (TYPE/KEY, e.g. room/general or agent/alice) live to a member of its role: its messages wait for the move, its work in progress finishes first, its clients notice nothing. It stays pinned there while it is active (a member joining does not take it); once it passivates, placement decides again')
    .requiredOption('--to <peer>', 'peer id of the member to move it to (plexi admin nodes lists them)')
    .option('--no-wait', 'start the migrate job and return its id')
    .addHelpText('after', `
Examples:
  plexi admin migrate room/general --to 12D3KooW...     # a progress bar, then how it ended (exit 0 moved, 1 failed)
  plexi admin migrate agent/alice --to 12D3KooW... --json`)
    .action(withFlags(async (entity: string, flags: ClientFlags & { to: string, wait?: boolean }) => {
      const slash = entity.indexOf('/')
      if (slash <= 0 || slash === entity.length - 1) throw new UsageError(`migrate: expected TYPE/KEY such as room/general, got ${JSON.stringify(entity.slice(0, 80))}`)
      await cx.startJob(flags, `/api/v1/actors/${encodeURIComponent(entity.slice(0, slash))}/${encodeURIComponent(entity.slice(slash + 1))}/migrate`, { to: flags.to })
    }))
}
