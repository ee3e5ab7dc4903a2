/**
 * `npm run bench -- plugins`: the goals of issue 37 (docs/performance.md, "Plugins"), each figure
 * beside a baseline measured in the same run.
 *
 * (a) install → first call answered, on one node and on every member of a 3-node cluster (node
 *     processes; the first call made by a member in this process, as a member without the plugin
 *     calls one): against starting the plugin's process bare and calling it;
 * (b) a tool call through the plugin process against the same function called in the node's
 *     process: p50 overhead, and calls/s per plugin at several numbers of calls in flight;
 * (c) chat post→deliver with a before-post hook alone (the bench's gate plugin), and with the
 *     moderation example's two hooks, against a node without plugins;
 * (d) a hot upgrade (and a rollback) of two plugins under 100 tool calls/s and chat: failed calls,
 *     failed, lost and uncounted posts;
 * (e) a plugin's crash, hang and memory overrun while chat and agent asks go on: their errors and
 *     p99 in each episode against before.
 */
import { examplePackage } from '../test/helpers/example-plugins.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { collector, figure, median, percentile } from './figure.ts'
import type { Bench, Figure } from './figure.ts'
import { CONCURRENCY, bareFirstCall, measureCalls } from './plugins-calls.ts'
import { benchCluster, firstAnswer, installPackage, pluginChange } from './plugins-cluster.ts'
import type { BenchCluster } from './plugins-cluster.ts'
import { EPISODE_NODE_ARGS, measureEpisodes } from './plugins-episodes.ts'
import { measureHooks } from './plugins-hooks.ts'
import type { Outcome } from './plugins-load.ts'
import { CALL_RATE, POST_RATE, measureUpgrade } from './plugins-upgrade.ts'

const INSTALL_ROUNDS = 3
const ADD_DAYS = { date: '2024-02-28', days: 1 } as const

/** Install → the first call answered on every member, median of INSTALL_ROUNDS installs, each a
 * clock under a name of its own (removed after). */
async function installToFirstCall (b: BenchCluster, label: string, log: (line: string) => void): Promise<number> {
  const copies = await tempDir('plexi-bench-install-')
  const first = b.slots[0] as NodeSlot
  const times: number[] = []
  try {
    for (let r = 0; r < INSTALL_ROUNDS; r++) {
      const name = `clock-${label}${r}`
      const bytes = await examplePackage('clock', { version: '1.0.0', manifest: { name } }, copies.path)
      const start = performance.now()
      const answered = Promise.all(b.slots.map(async (s) => await firstAnswer(b, s.peerId, `${name}__add_days`, ADD_DAYS)))
      await installPackage(first.node, bytes)
      const each = (await answered).map((t) => t - start)
      times.push(Math.max(...each))
      log(`  ${label} install ${r}: first call answered after ${each.map((t) => Math.round(t)).join(', ')} ms`)
      await pluginChange(b, first, name, 'remove')
    }
  } finally {
    await copies.remove()
  }
  return median(times)
}

const errors = (o: readonly Outcome[]): number => o.filter((x) => x.error !== undefined).length
const p99 = (o: readonly Outcome[]): number => o.length === 0 ? Number.NaN : percentile(o.map((x) => x.ms), 99)

async function callFigures (add: (f: Figure) => void, log: (line: string) => void): Promise<void> {
  log('  (b) tool calls: the clock through its process against its function in this process')
  const c = await measureCalls(log)
  add(figure('tool-call-p50-overhead', 'ms', c.host - c.direct, 'the same function called in the node\'s process, p50', c.direct, '<= 1 ms'))
  add(figure('tool-call-p50-overhead-toolprovider', 'ms', c.provider - c.direct, 'the same function called in the node\'s process, p50', c.direct, '<= 1 ms'))
  add(figure('tool-call-p99-through-plugin', 'ms', c.hostP99, 'the function in the node\'s process, p99', c.directP99))
  for (const k of CONCURRENCY) add(figure(`tool-calls-per-second-${k}-in-flight`, 'calls/s', c.rates.get(k) as number, 'the function in the node\'s process, one after another', c.directRate))
  add(figure('tool-calls-per-second-max', 'calls/s', Math.max(...c.rates.values()), 'the function in the node\'s process, one after another', c.directRate, '>= 1,000'))
}

async function upgradeFigures (b: BenchCluster, installMs: number, add: (f: Figure) => void, log: (line: string) => void): Promise<void> {
  log(`  (d) a hot upgrade and rollback of clock and moderation under ${CALL_RATE} tool calls/s and ${POST_RATE} posts/s`)
  const u = await measureUpgrade(b, log)
  const before = 'the same load before the upgrade'
  add(figure('hot-upgrade-failed-tool-calls', 'calls', errors(u.calls.swap), before, errors(u.calls.before), '0'))
  add(figure('hot-upgrade-failed-posts', 'posts', errors(u.posts.swap), before, errors(u.posts.before), '0'))
  add(figure('hot-upgrade-lost-posts', 'posts', u.lost + u.undelivered, 'posts acked in all', u.acked, '0'))
  add(figure('hot-upgrade-posts-moderation-missed', 'posts', u.uncounted, 'posts acked in all', u.acked, '0'))
  add(figure('hot-upgrade-tool-call-p99', 'ms', p99(u.calls.swap), 'p99 before the upgrade', p99(u.calls.before)))
  add(figure('hot-upgrade-swap-to-every-member', 'ms', median(u.swapMs), 'a new plugin\'s install → first call on every member', installMs))
  if (u.calls.skipped + u.posts.skipped > 0) log(`  (the machine fell behind the load: ${u.calls.skipped} calls and ${u.posts.skipped} posts not started)`)
}

async function episodeFigures (add: (f: Figure) => void, log: (line: string) => void): Promise<void> {
  log('  (e) a plugin crashes, hangs and overruns its memory while chat and agents go on (one node process)')
  const b = await benchCluster(1, EPISODE_NODE_ARGS)
  try {
    const e = await measureEpisodes(b, log)
    const allErrors = e.episodes.reduce((sum, ep) => sum + errors(ep.posts) + errors(ep.asks), 0)
    add(figure('episodes-chat-and-ask-errors', 'errors', allErrors, 'errors before the episodes', errors(e.before.posts) + errors(e.before.asks), '0'))
    const answered = (o: readonly Outcome[]): number => o.length - errors(o)
    for (const ep of e.episodes) {
      add(figure(`episode-${ep.kind}-posts-delivered`, 'posts', answered(ep.posts), 'posts delivered in the 5 s before the episodes', answered(e.before.posts), '> 0'))
      add(figure(`episode-${ep.kind}-agent-asks-answered`, 'asks', answered(ep.asks), 'asks answered in the 5 s before the episodes', answered(e.before.asks), '> 0'))
      add(figure(`episode-${ep.kind}-post-deliver-p99`, 'ms', p99(ep.posts), 'p99 before the episodes', p99(e.before.posts)))
      add(figure(`episode-${ep.kind}-agent-ask-p99`, 'ms', p99(ep.asks), 'p99 before the episodes', p99(e.before.asks)))
    }
    log(`  posts and asks in the episodes: ${e.episodes.map((ep) => `${ep.kind} ${ep.posts.length} and ${ep.asks.length} in ${Math.round(ep.ms)} ms`).join('; ')}`)
  } finally {
    await b.close()
  }
}

export const pluginsBench: Bench = {
  name: 'plugins',
  description: 'install → first call (1 and 3 nodes), tool call overhead and calls/s, before-post hook cost, hot upgrade under load, crash/hang/memory episodes',
  async run (log) {
    const { figures, add } = collector(log)
    await callFigures(add, log)
    const bare = await bareFirstCall(5)
    log(`  (a) install → first call answered; the plugin's bare start to its first answer: ${bare.toFixed(1)} ms`)
    const one = await benchCluster(1)
    try {
      add(figure('install-to-first-call-1-node', 'ms', await installToFirstCall(one, 'a', log), 'the plugin process started bare, to its first answer', bare, '< 1,000 ms'))
    } finally {
      await one.close()
    }
    log('  (c) post→deliver with a before-post hook alone, and with the moderation example\'s two hooks, against a node without plugins')
    const h = await measureHooks(log)
    add(figure('post-deliver-p50-with-before-post-hook', 'ms', percentile(h.with, 50), 'post→deliver p50 without plugins', percentile(h.without, 50), '<= 1.25×'))
    add(figure('post-deliver-p99-with-before-post-hook', 'ms', percentile(h.with, 99), 'post→deliver p99 without plugins', percentile(h.without, 99)))
    add(figure('post-deliver-p50-with-moderation-both-hooks', 'ms', percentile(h.moderation, 50), 'post→deliver p50 without plugins', percentile(h.withoutBesideModeration, 50)))
    add(figure('post-deliver-p99-with-moderation-both-hooks', 'ms', percentile(h.moderation, 99), 'post→deliver p99 without plugins', percentile(h.withoutBesideModeration, 99)))
    const three = await benchCluster(3)
    try {
      const installMs = await installToFirstCall(three, 'c', log)
      add(figure('install-to-first-call-3-nodes', 'ms', installMs, 'the plugin process started bare, to its first answer', bare, '< 3,000 ms'))
      await upgradeFigures(three, installMs, add, log)
    } finally {
      await three.close()
    }
    await episodeFigures(add, log)
    return figures
  }
}
