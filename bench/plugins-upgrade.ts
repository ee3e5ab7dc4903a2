/**
 * A hot upgrade under load (part d): on a cluster of node processes running the clock and the
 * moderation examples, tool calls at 100/s (from the observer member, through the node's
 * ToolProvider) and chat posts through every member's gRPC (judged and counted by moderation) go
 * on while both plugins are upgraded to a new version on every member and rolled back. Counted: the
 * calls and posts that failed, the acked posts missing from their room's history or never
 * delivered to a subscriber, and the posts moderation's after-post hook never counted.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { examplePackage } from '../test/helpers/example-plugins.ts'
import { chatClient } from '../test/helpers/node-process.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { waitFor } from '../test/helpers/wait-for.ts'
import { bounded, watch } from './chat.ts'
import { percentile } from './figure.ts'
import type { BenchCluster } from './plugins-cluster.ts'
import { awaitVersionEverywhere, installPackage, pluginChange } from './plugins-cluster.ts'
import { awaitRefusal, writeWordList } from './plugins-hooks.ts'
import { ChatLoad, OpenLoop, lostPosts } from './plugins-load.ts'
import type { Client, Outcome } from './plugins-load.ts'

export const CALL_RATE = 100
export const POST_RATE = 60
const ROOMS = 6
/** Load before the upgrade, and after each swap. */
const STEADY_MS = 3_000
const USER = 'loaduser'

export interface UpgradeResult {
  readonly calls: { readonly before: Outcome[], readonly swap: Outcome[], readonly skipped: number }
  readonly posts: { readonly before: Outcome[], readonly swap: Outcome[], readonly skipped: number }
  /** Acked posts missing from the history or from a subscriber's stream. */
  readonly lost: number
  readonly undelivered: number
  /** Committed posts moderation did not count (or counted twice: negative). */
  readonly uncounted: number
  readonly acked: number
  /** How long each swap took to reach every member, ms. */
  readonly swapMs: readonly number[]
}

/** The moderation counts of `rooms` summed over the members' data folders. */
async function countsOf (b: BenchCluster, rooms: readonly string[]): Promise<number> {
  let sum = 0
  for (const slot of b.slots) {
    for (const room of rooms) {
      const text = await readFile(join(slot.dir, 'plugins-data', 'moderation', 'counts', `${room}.json`), 'utf8').catch(() => undefined)
      if (text !== undefined) sum += (JSON.parse(text) as { posts: number }).posts
    }
  }
  return sum
}

async function install (b: BenchCluster, copies: string): Promise<void> {
  const first = b.slots[0] as NodeSlot
  for (const slot of b.slots) await writeWordList(slot.dir)
  for (const name of ['clock', 'moderation'] as const) {
    await installPackage(first.node, await examplePackage(name))
    await awaitVersionEverywhere(b, name, '1.0.0')
    // the next version, stored beside it for the upgrade
    await installPackage(first.node, await examplePackage(name, { version: '1.1.0' }, copies))
  }
}

/** Upgrades both plugins (or rolls them back) on every member; the time it took. */
async function swap (b: BenchCluster, change: 'upgrade' | 'rollback', version: string): Promise<number> {
  const start = performance.now()
  const first = b.slots[0] as NodeSlot
  await Promise.all(['clock', 'moderation'].map(async (name) => {
    await pluginChange(b, first, name, change, change === 'upgrade' ? version : undefined)
    await awaitVersionEverywhere(b, name, version)
  }))
  return performance.now() - start
}

export async function measureUpgrade (b: BenchCluster, log: (line: string) => void): Promise<UpgradeResult> {
  const copies = await tempDir('plexi-bench-versions-')
  const clients: Client[] = []
  try {
    await install(b, copies.path)
    const token = await b.cluster.addUser(USER, b.slots[0])
    await b.cluster.api(b.slots[0] as NodeSlot, `/users/${USER}/tools`, { method: 'POST', body: { grant: ['clock__*'] } })
    const posters = b.slots.map((s) => { const c = chatClient(s.node.grpc, token); clients.push(c); return c })
    const rooms = Array.from({ length: ROOMS }, (_, i) => `load-${i}`)
    // moderation on in every room's node before the load's first post: every post is hooked
    for (const [i, room] of rooms.entries()) await awaitRefusal(posters[i % posters.length] as Client, room)
    const feeds = rooms.map((room, i) => {
      const reader = chatClient((b.slots[(i + 1) % b.slots.length] as NodeSlot).node.grpc, token)
      clients.push(reader)
      return watch(reader, room)
    })
    await bounded(Promise.all(feeds.map((f) => f.live)), 'the subscriptions')
    const tools = b.observer.c.get('tools')
    const calls = new OpenLoop(CALL_RATE, async (i) => {
      const r = await tools.call(USER, { id: `u${i}`, name: 'clock__add_days', arguments: { date: '2024-02-28', days: 1 } }, { deadlineMs: 5_000 })
      if (r.isError) throw new Error(r.text)
    })
    const chat = new ChatLoad(posters, rooms, POST_RATE, 'through the upgrade')
    calls.start()
    chat.loop.start()
    const t0 = performance.now()
    await new Promise((resolve) => setTimeout(resolve, STEADY_MS))
    const t1 = performance.now()
    const swapMs = [await swap(b, 'upgrade', '1.1.0')]
    log(`  both plugins upgraded to 1.1.0 on every member in ${Math.round(swapMs[0] as number)} ms`)
    await new Promise((resolve) => setTimeout(resolve, STEADY_MS))
    swapMs.push(await swap(b, 'rollback', '1.0.0'))
    log(`  and rolled back in ${Math.round(swapMs[1] as number)} ms`)
    await new Promise((resolve) => setTimeout(resolve, STEADY_MS))
    await Promise.all([calls.stop(), chat.loop.stop()])
    const end = performance.now()
    const lost = (await lostPosts(b.cluster, b.slots[0] as NodeSlot, token, chat.acked)).length
    let undelivered = 0
    for (const [i, room] of rooms.entries()) {
      const last = Math.max(0, ...chat.acked.filter((a) => a.room === room).map((a) => a.seq))
      try {
        await bounded((feeds[i] as ReturnType<typeof watch>).reached(last), `${room} delivered`, 20_000)
      } catch {
        undelivered++
      }
    }
    for (const f of feeds) f.cancel()
    // every committed post of the load's rooms counted by moderation, on whichever member
    const committed = chat.acked.length
    await waitFor(async () => await countsOf(b, rooms) >= committed, 'moderation to count every post', { timeout: 30_000, interval: 100 }).catch(() => undefined)
    const uncounted = committed - await countsOf(b, rooms)
    log(`  ${calls.outcomes.length} tool calls, ${chat.acked.length} posts acked; tool call p99 before ${percentile(calls.between(t0, t1).map((o) => o.ms), 99).toFixed(1)} ms, through the swaps ${percentile(calls.between(t1, end).map((o) => o.ms), 99).toFixed(1)} ms`)
    for (const o of [...calls.outcomes, ...chat.loop.outcomes].filter((x) => x.error !== undefined).slice(0, 5)) log(`  failed: ${o.error as string}`)
    return {
      calls: { before: calls.between(t0, t1), swap: calls.between(t1, end), skipped: calls.skipped },
      posts: { before: chat.loop.between(t0, t1), swap: chat.loop.between(t1, end), skipped: chat.loop.skipped },
      lost,
      undelivered,
      uncounted,
      acked: chat.acked.length,
      swapMs
    }
  } finally {
    for (const c of clients) c.close()
    await copies.remove()
  }
}
