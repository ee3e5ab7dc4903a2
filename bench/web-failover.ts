/**
 * The chat page's failover figure of `npm run bench -- web` (issue 42 item 3, goal: the page shows
 * new posts again <= 3 s after its node is killed): three real node processes, a real Chromium
 * page loaded from node A in a room A owns, a poster posting over gRPC to another node (each post
 * retried with its client_id, as clients do); A is SIGKILLed. Ours: the time from the kill to the
 * first post the page shows of those first sent after it (one stored just before the kill may still
 * reach the page, and would say nothing of the failover). Baseline, in the same kill: a gRPC
 * Subscribe on a node that survives (resubscribing from its last seq when its stream ends), which
 * never lost its node: the room's own failover, that the page's move to another node adds to.
 * Each round kills another node and starts it again after. Skipped where there is no Chromium.
 */
import { randomUUID } from 'node:crypto'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { CONFIG_SCHEMA } from '../config/index.ts'
import { findChromium } from '../test/helpers/chromium.ts'
import { chatClient } from '../test/helpers/node-process.ts'
import { ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { figure, median } from './figure.ts'
import type { Figure } from './figure.ts'

/** Kills measured (each a node of its own, started again after). BENCH_WEB_FAILOVER_ROUNDS overrides. */
const ROUNDS = rounds(process.env.BENCH_WEB_FAILOVER_ROUNDS)
/** A wait the bench gives up on: the page or a stream that never shows a post again. */
const WAIT_MS = 60_000
/** Pause between a poster's posts (ms): a steady trickle, as people post. */
const POST_EVERY_MS = 50

declare const document: { querySelectorAll (selector: string): Iterable<{ readonly textContent: string | null }> }
const STORED = '.messages li.message:not(.pending):not(.partial)'

type Chat = ReturnType<typeof chatClient>

/** The failover figure, or none (said in the log) where there is no Chromium. */
export async function failoverFigures (log: (line: string) => void): Promise<Figure[]> {
  const found = await findChromium()
  if ('missing' in found) {
    log(`  chat page failover: skipped, no Chromium (${found.missing})`)
    return []
  }
  // the failure timeout operators get (the test clusters' is 1,500 ms)
  const failureTimeout = CONFIG_SCHEMA.find((k) => k.key === 'failure-timeout')?.default as number
  const cluster = new ProcessCluster({ failureTimeout })
  let browser: Browser | undefined
  try {
    await cluster.start(['all', 'all', 'all'])
    browser = await chromium.launch({ executablePath: found.path })
    const [reader, poster] = [await cluster.addUser('reader'), await cluster.addUser('poster')]
    const ours: number[] = []
    const base: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const [page, stream] = await kill(cluster, browser, round, { reader, poster })
      ours.push(page)
      base.push(stream)
      log(`  round ${round + 1}: the page showed a new post ${Math.round(page)} ms after its node was killed; a Subscribe on a surviving node ${Math.round(stream)} ms`)
      await cluster.restart(round % 3)
      await cluster.awaitUp(3)
      await cluster.awaitSettled(3)
    }
    const f = figure(`chat page: its node SIGKILLed to a new post shown (3 nodes, failure-timeout ${failureTimeout})`, 'ms (lower is better; goal <= 3000)', median(ours), 'gRPC Subscribe on a surviving node: the kill to a new post', median(base))
    log(`  ${f.name}: ${Math.round(f.value)} ms vs ${Math.round(f.baseline)} ms (${f.ratio.toFixed(2)}x)`)
    return [f]
  } finally {
    await browser?.close()
    await cluster.close()
  }
}

/** One round: kills the node of slot `round % 3`, which served the page and owns its room; the
 * ms from the kill to a new post shown by the page, and by a Subscribe on a surviving node. */
async function kill (cluster: ProcessCluster, browser: Browser, round: number, tokens: { reader: string, poster: string }): Promise<[number, number]> {
  const victim = cluster.slots[round % 3] as NodeSlot
  const [survivor, postVia] = [cluster.slots[(round + 1) % 3] as NodeSlot, cluster.slots[(round + 2) % 3] as NodeSlot]
  const room = await cluster.keyOwnedBy(survivor, 'room', 'chat', victim, `bench-failover-${round}-`)
  const context = await browser.newContext()
  context.setDefaultTimeout(WAIT_MS)
  const chats: Chat[] = []
  const posting = new AbortController()
  try {
    const page = await context.newPage()
    await openPage(page, webOf(victim), tokens.reader, room)
    const watcher = chatClient(survivor.node.grpc, tokens.reader)
    chats.push(watcher)
    const seen = watchRoom(watcher, room, posting.signal)
    const postChat = chatClient(postVia.node.grpc, tokens.poster)
    chats.push(postChat)
    let next = 0
    void (async () => {
      for (; !posting.signal.aborted; next++) {
        const clientId = randomUUID().replaceAll('-', '')
        // sent again, same client_id, until the room takes it (unavailable while it moves)
        while (!posting.signal.aborted) {
          try {
            await postChat.call('Post', { room, text: `post ${next}`, clientId })
            break
          } catch {
            await new Promise((resolve) => setTimeout(resolve, POST_EVERY_MS))
          }
        }
        await new Promise((resolve) => setTimeout(resolve, POST_EVERY_MS))
      }
    })()
    await page.waitForFunction((s) => [...document.querySelectorAll(s)].length >= 3, STORED)
    const killedAt = performance.now()
    const stop = victim.node.stop('SIGKILL', 20_000)
    // the posts first sent from now on (the one on its way is sent again, and may be stored first)
    const first = next + 1
    const [shown, streamed] = await Promise.all([
      page.waitForFunction(({ s, first }) => [...document.querySelectorAll(`${s} .text`)].some((e) => Number(/^post (\d+)$/.exec(e.textContent ?? '')?.[1] ?? -1) >= first), { s: STORED, first }).then(() => performance.now()),
      seen(first).then(() => performance.now())
    ])
    await stop
    return [shown - killedAt, streamed - killedAt]
  } finally {
    posting.abort()
    for (const c of chats) c.close()
    await context.close()
  }
}

/** Signs in on the page at `base` and opens `room` (live). */
async function openPage (page: Page, base: string, token: string, room: string): Promise<void> {
  const learnt = page.waitForResponse((r) => r.url() === `${base}/plexi.chat.v1.Chat/Nodes`)
  await page.goto(`${base}/`)
  await page.getByLabel('Your user token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await learnt
  await page.getByLabel('Join or create').fill(room)
  await page.getByRole('button', { name: 'Open' }).click()
  await page.locator('.room .state.live').waitFor()
}

/** A Subscribe to `room` held open (subscribed again from its last seq when it ends, as a client
 * does); `seen(n)` resolves once `post m` came with m >= n. */
function watchRoom (chat: Chat, room: string, stop: AbortSignal): (n: number) => Promise<void> {
  let last = 0
  let highest = -1
  const waiters = new Set<{ n: number, resolve: () => void }>()
  const subscribe = (): void => {
    if (stop.aborted) return
    const stream = chat.subscribe(room, last)
    stop.addEventListener('abort', () => { stream.cancel() }, { once: true })
    stream.on('data', (e: { message?: { seq: number, text: string } }) => {
      if (e.message === undefined) return
      last = Math.max(last, Number(e.message.seq))
      highest = Math.max(highest, Number(/^post (\d+)$/.exec(e.message.text)?.[1] ?? -1))
      for (const w of [...waiters]) if (highest >= w.n) { waiters.delete(w); w.resolve() }
    })
    let again = false
    const resubscribe = (): void => { if (!again) { again = true; setTimeout(subscribe, 100) } }
    stream.on('error', resubscribe)
    stream.on('end', resubscribe)
  }
  subscribe()
  return async (n) => await new Promise<void>((resolve, reject) => {
    if (highest >= n) { resolve(); return }
    const waiter = { n, resolve: () => { clearTimeout(timer); resolve() } }
    const timer = setTimeout(() => { waiters.delete(waiter); reject(new Error(`bench: no post ${n} or later on the surviving node's Subscribe in ${WAIT_MS} ms`)) }, WAIT_MS)
    waiters.add(waiter)
  })
}

function rounds (raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 30) throw new Error(`BENCH_WEB_FAILOVER_ROUNDS: expected an integer from 1 to 30, got ${JSON.stringify(raw)}`)
  return n
}

/** The origin a node's ready line names for its chat page. */
function webOf (slot: NodeSlot): string {
  const web = slot.node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))?.web
  if (typeof web !== 'string') throw new Error(`bench: node ${slot.peerId} named no web URL`)
  return web.replace(/\/$/, '')
}
