import type { Command } from 'commander'
import { AdminClient } from '../../admin-client.ts'
import { TOP_INTERVAL_MS, adminTop } from '../../admin-top.ts'
import { adminConnection, withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { integer } from '../../flag-values.ts'
import type { AdminContext } from './admin-context.ts'

/** `plexi admin top`: the members and this node's rates, live (GET /api/v1/nodes and /api/v1/stats;
 * the dashboard's metrics view shows the same). */
export function topCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('top'), 'admin')
    .description('a live view of the cluster, like top: every member (roles, status, uptime, actors, entities, mailbox, RSS) and this node\'s rates (posts/s, deliveries/s, asks/s, ask mean and p99 latency, tokens/s), redrawn in place; q or Ctrl-C quits. Not on a terminal, or with --once, one frame')
    .option('--interval <ms>', `ms between two looks at the node, ${TOP_INTERVAL_MS.min} to ${TOP_INTERVAL_MS.max}`, String(TOP_INTERVAL_MS.default))
    .option('--once', 'print one frame and exit (what a pipe gets anyway)')
    .addHelpText('after', `
With --json: { members, stats } once, where members is GET /api/v1/nodes and stats GET /api/v1/stats
({ node, intervalMs, samples }, the newest sample last; null from a node that serves no stats).

Examples:
  plexi admin top                        # live; q quits
  plexi admin top --interval 5000        # a look every 5 s
  plexi admin top --once                 # one frame, for a log or a ticket
  plexi admin top --json | jq '.stats.samples[-1].postsPerSec'`)
    .action(withFlags(async (flags: ClientFlags & { interval: string, once?: boolean }) => {
      const intervalMs = integer(flags.interval, '--interval', TOP_INTERVAL_MS.min, TOP_INTERVAL_MS.max)
      const connection = await adminConnection(flags, cx.io)
      await adminTop(new AdminClient(connection.url, connection.token, connection.tls), cx.io, { intervalMs, once: flags.once, json: flags.json, endpoint: connection.url.replace(/^https?:\/\//, '') })
    }))
}
