/**
 * The chat page's own figures of `npm run bench -- web` (issue 42): a real node process (`plexi node
 * start --role chat,storage`, rate limits lifted) and a real Chromium (skipped, said in the log,
 * where there is none).
 *
 * - Page ready: a fresh browser context loads the page with the user's token and the room already in
 *   the tab (sessionStorage, as a signed-in tab has them when it loads again), timed from navigation
 *   start to the room's last 100 messages shown and live (`.room .state.live` and 100 stored rows, the
 *   last the room's last post); also signed in through the form as the specs do (Playwright types the
 *   token and opens the room: its few ms per action are counted). Baseline in the same rounds: the
 *   same 100 messages read by one gRPC History call (grpc-js). Plus the page's scripts gzipped, as the
 *   views spec sums them, beside the admin dashboard's summed the same way.
 * - Post -> shown in another browser: two contexts of one browser (two users) in one room; one posts
 *   through the page's composer, the other's page shows the row. Both stamps are Date.now() in the
 *   pages (one machine's clock, 1 ms steps): the send at the composer's submit (a capture listener,
 *   before the page's own), the arrival when a MutationObserver first sees the stored row. Baseline,
 *   alternating post by post: grpc-js Post by one user to a Subscribe of the other (as `plexi chat`).
 *   Logged beside them, the receiving half alone: a grpc-js post (Date.now() in this process) to the
 *   row in the reader's page.
 * Each step of a load is logged too (DOMContentLoaded: every module fetched and run; the room view
 * drawn; its rows; live), so a slow load says where its time went.
 */
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { findChromium } from '../test/helpers/chromium.ts'
import { chatClient, NO_RATE_LIMITS, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { envNumber, figure, median, percentile } from './figure.ts'
import { startFloor } from './web-floor.ts'
import type { Figure } from './figure.ts'

/** Page loads per way of signing in (median); BENCH_WEB_PAGE_LOADS overrides. */
const LOADS = envNumber('BENCH_WEB_PAGE_LOADS', 7, { integer: true })
/** Posts timed per side, one at a time; BENCH_WEB_PAGE_POSTS overrides. */
const POSTS = envNumber('BENCH_WEB_PAGE_POSTS', 100, { integer: true })
/** Posts a side sends first, not counted (both paths' code compiled, connections open). */
const WARMUP_POSTS = 10
/** Numbers of the posts sent to the page's room over gRPC (the receiving half), apart from the page's own. */
const HALF = 1_000_000
/** The room the page opens holds this many posts; it shows the last OPENING (lib/room-feed.js). */
const ROOM_POSTS = 150
const OPENING = 100
/** A wait the bench gives up on (a busy 2-core machine). */
const WAIT_MS = 60_000

type Chat = ReturnType<typeof chatClient>
/** The little of the browser's globals the functions run in the page read (no DOM types here). */
declare const window: Record<string, unknown>
declare const sessionStorage: { setItem (key: string, value: string): void }
interface El { readonly textContent: string | null, readonly value?: string }
declare const document: { querySelector (s: string): El | null, querySelectorAll (s: string): ArrayLike<El> & Iterable<El>, getElementById (id: string): El | null, addEventListener (type: string, fn: () => void, capture: boolean): void }
declare class MutationObserver { constructor (fn: () => void); observe (node: unknown, options: unknown): void; disconnect (): void }

/** What the init script does in a page, before the page's own scripts. */
interface Probe {
  /** Put in the tab's sessionStorage (the page's keys): signed in, this room open. */
  readonly token?: string
  readonly room?: string
  /** window.__ready = ms from navigation start to: live, OPENING stored rows, the last with this text. */
  readonly last?: string
  readonly opening?: number
  /** Stamp `live N` rows: window.__sent[N] at the composer's submit, window.__seen[N] when shown. */
  readonly stamps?: boolean
}

/** Runs in the page (serialized by Playwright): the bench's only hooks, none in the page's files. */
function probe (p: Probe): void {
  if (p.token !== undefined) sessionStorage.setItem('plexi-chat-token', p.token)
  if (p.room !== undefined) sessionStorage.setItem('plexi-chat-room', p.room)
  const rows = (): ArrayLike<El> => document.querySelectorAll('.messages li.message:not(.pending):not(.partial) .text')
  const sent: Record<string, number> = {}
  const seen: Record<string, number> = {}
  window.__sent = sent
  window.__seen = seen
  if (p.stamps === true) {
    document.addEventListener('submit', () => {
      const n = /^live (\d+)$/.exec(document.getElementById('composer-text')?.value?.trim() ?? '')?.[1]
      if (n !== undefined) sent[n] = Date.now()
    }, true)
  }
  // where a load's time goes: the room view first drawn, its rows, its live state
  const marks: Record<string, number> = {}
  window.__marks = marks
  const observer = new MutationObserver(() => {
    const now = Date.now()
    const at = performance.now()
    const shown = rows()
    if (p.last !== undefined && window.__ready === undefined) {
      if (marks.room === undefined && document.querySelector('main.room') !== null) marks.room = at
      const all = shown.length === p.opening && shown[shown.length - 1]?.textContent === p.last
      if (marks.rows === undefined && all) marks.rows = at
      const live = document.querySelector('.room .state.live') !== null
      if (marks.live === undefined && live) marks.live = at
      if (all && live) window.__ready = at
    }
    if (p.stamps === true) {
      for (const row of Array.from(shown)) {
        const n = /^live (\d+)$/.exec(row.textContent ?? '')?.[1]
        if (n !== undefined && seen[n] === undefined) seen[n] = now
      }
    }
  })
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] })
}

/** The web URL a node's ready line names. */
export function webUrlOf (node: NodeProcess): string {
  const url = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))?.web
  if (typeof url !== 'string') throw new Error('bench: the ready line names no web URL')
  return url.replace(/\/$/, '')
}

/** A new user's token, added through the admin API. */
export async function addUser (node: NodeProcess, name: string): Promise<string> {
  const res = await fetch(`http://${node.admin}/api/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) })
  if (res.status !== 201 && res.status !== 200) throw new Error(`bench: adding user ${name} answered ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

/** The page's figures, or none (said in the log) where there is no Chromium. */
export async function pageFigures (log: (line: string) => void): Promise<Figure[]> {
  const found = await findChromium()
  if ('missing' in found) {
    log(`  chat page ready, post -> shown: skipped, no Chromium (${found.missing})`)
    return []
  }
  const dir = await tempDir('plexi-bench-web-page-')
  const node = await startNodeProcess(dir.path, [...NO_RATE_LIMITS, '--role', 'chat,storage'])
  const chats: Chat[] = []
  let browser: Browser | undefined
  try {
    const base = webUrlOf(node)
    const tokens = { reader: await addUser(node, 'reader'), writer: await addUser(node, 'writer') }
    const [reader, writer] = [chatClient(node.grpc, tokens.reader), chatClient(node.grpc, tokens.writer)]
    chats.push(reader, writer)
    browser = await chromium.launch({ executablePath: found.path })
    return [
      ...await readyFigures(log, { browser, base, node, tokens, reader, writer, marks: {} }),
      ...await postFigure(log, { browser, tokens, reader, writer, base, marks: {} })
    ]
  } finally {
    await browser?.close()
    for (const c of chats) c.close()
    await node.stop()
    await dir.remove()
  }
}

interface Setup {
  readonly browser: Browser
  readonly base: string
  readonly tokens: { reader: string, writer: string }
  readonly reader: Chat
  readonly writer: Chat
  /** ms from navigation start to each step of the loads (scripts run, room drawn, rows, live). */
  readonly marks: Record<string, number[]>
}

/** Both users in `room` (its last events are then posts: a member's Join adds none); its last seq. */
async function joinBoth (s: Setup, room: string): Promise<number> {
  await s.writer.call('Join', { room })
  return Number((await s.reader.call<{ lastSeq: number | string }>('Join', { room })).lastSeq)
}

async function context (browser: Browser, p: Probe): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  ctx.setDefaultTimeout(WAIT_MS)
  await ctx.addInitScript(probe, p)
  return ctx
}

/** One load in a fresh context: ms from navigation start to the last 100 shown and live. `form`:
 * signed in and the room opened through the page's form; else both already in the tab. */
async function load (s: Setup, room: string, form: boolean, keep?: (page: Page) => Promise<void>): Promise<number> {
  const last = `ready ${ROOM_POSTS}`
  const ctx = await context(s.browser, form ? { last, opening: OPENING } : { token: s.tokens.reader, room, last, opening: OPENING })
  try {
    const page = await ctx.newPage()
    await page.goto(`${s.base}/`)
    if (form) {
      await page.getByLabel('Your user token').fill(s.tokens.reader)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByLabel('Join or create').fill(room)
      await page.getByRole('button', { name: 'Open' }).click()
    }
    const ms = Number(await (await page.waitForFunction(() => window.__ready)).jsonValue())
    const marks = await page.evaluate(() => {
      const entries = (globalThis as unknown as { performance: { getEntriesByType (t: string): Array<{ name: string, startTime: number, responseEnd: number, domContentLoadedEventEnd: number }> } }).performance
      const call = (method: string): { startTime: number, responseEnd: number } | undefined => entries.getEntriesByType('resource').find((e) => e.name.endsWith(`/plexi.chat.v1.Chat/${method}`))
      // the room's opening calls as the network saw them: Join sent, History's answer in
      return { scripts: entries.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? NaN, ...(window.__marks as Record<string, number>), join: call('Join')?.startTime ?? NaN, history: call('History')?.responseEnd ?? NaN }
    })
    for (const [k, v] of Object.entries(marks)) (s.marks[`${form ? 'form' : 'tab'}: ${k}`] ??= []).push(v)
    await keep?.(page)
    return ms
  } finally {
    await ctx.close()
  }
}

/** Every script `page` loaded, gzip -9 each, summed (bytes), as the views spec counts them. */
async function scriptsGzipped (page: Page): Promise<number> {
  const paths = await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType (t: string): Array<{ name: string }> } })
    .performance.getEntriesByType('resource').map((e) => new URL(e.name)).filter((u) => /\.m?js$/.test(u.pathname)).map((u) => u.href))
  let total = 0
  for (const url of new Set(paths)) total += gzipSync(Buffer.from(await (await fetch(url)).arrayBuffer()), { level: 9 }).length
  return total
}

async function readyFigures (log: (line: string) => void, s: Setup & { node: NodeProcess }): Promise<Figure[]> {
  const room = 'bench-page-ready'
  await joinBoth(s, room)
  // 50 at a time, stored in any order; then the last on its own: the row the page must end on
  for (let at = 1; at < ROOM_POSTS; at += 50) await Promise.all(Array.from({ length: Math.min(50, ROOM_POSTS - at) }, async (_, i) => await s.writer.call('Post', { room, text: `ready ${at + i}` })))
  await s.writer.call('Post', { room, text: `ready ${ROOM_POSTS}` })
  const lastSeq = await joinBoth(s, room)
  const history = async (): Promise<number> => {
    const began = performance.now()
    const answer = await s.reader.call<{ messages: unknown[] }>('History', { room, after: lastSeq - OPENING, limit: OPENING })
    if (answer.messages.length !== OPENING) throw new Error(`bench: History gave ${answer.messages.length} messages, not ${OPENING}`)
    return performance.now() - began
  }
  let pageBytes = 0
  // one of each first, not counted: Chromium's and the node's code compiled, the files in the OS cache
  await load(s, room, false, async (page) => { pageBytes = await scriptsGzipped(page) })
  await load(s, room, true)
  for (const k of Object.keys(s.marks)) s.marks[k] = []
  const fromTab: number[] = []
  const fromForm: number[] = []
  const base: number[] = []
  for (let i = 0; i < LOADS; i++) {
    base.push(await history())
    if (i % 2 === 0) { fromTab.push(await load(s, room, false)); fromForm.push(await load(s, room, true)) } else { fromForm.push(await load(s, room, true)); fromTab.push(await load(s, room, false)) }
  }
  const dash = await s.browser.newPage()
  await dash.goto(`http://${s.node.admin}/`)
  const dashBytes = await scriptsGzipped(dash)
  await dash.context().close()
  log(`  where a load's time goes, median ms from navigation start (scripts: DOMContentLoaded, every module run; room: the room view drawn; join: its Join sent; history: History's answer in; rows: its last ${OPENING} shown):`)
  for (const way of ['tab', 'form']) {
    const steps = Object.entries(s.marks).filter(([k]) => k.startsWith(`${way}: `)).map(([k, v]) => [k.slice(way.length + 2), median(v)] as const).sort((a, b) => a[1] - b[1])
    log(`    ${way === 'tab' ? 'token in the tab' : 'through the form'}: ${steps.map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`)
  }
  log(`  page ready, token in the tab: ${fromTab.map(Math.round).join(', ')} ms; signed in through the form: ${fromForm.map(Math.round).join(', ')} ms; gRPC History of the 100: ${base.map((b) => b.toFixed(1)).join(', ')} ms`)
  const figures = [
    figure(`chat page ready: token in the tab to the last ${OPENING} messages shown and live (median of ${LOADS} loads)`, 'ms from navigation start (lower is better)', median(fromTab), `gRPC History of the same ${OPENING} (grpc-js)`, median(base), 'value <= 1000 ms'),
    figure(`chat page ready: signed in through the form, room opened (median of ${LOADS} loads)`, 'ms from navigation start (lower is better)', median(fromForm), `gRPC History of the same ${OPENING} (grpc-js)`, median(base), 'value <= 1000 ms'),
    figure('chat page scripts, gzip -9 per file, summed', 'KB gzipped', pageBytes / 1000, 'admin dashboard scripts, counted the same way', dashBytes / 1000, 'value <= 150 KB')
  ]
  for (const f of figures) log(`  ${f.name}: ${f.value} vs ${f.baseline} (${f.ratio.toFixed(2)}x)`)
  return figures
}

/** Resolves with performance.now() when the Subscribe delivers `text` (held open for the run). */
function deliveries (chat: Chat, room: string, signal: AbortSignal): { live: Promise<void>, next: (text: string) => Promise<number> } {
  const waiting = new Map<string, (at: number) => void>()
  const stream = chat.subscribe(room, 0)
  signal.addEventListener('abort', () => { stream.cancel() }, { once: true })
  const live = new Promise<void>((resolve, reject) => {
    stream.on('data', (e: { message?: { text: string }, live?: unknown }) => {
      const at = performance.now()
      if (e.live !== undefined) resolve()
      if (e.message !== undefined) waiting.get(e.message.text)?.(at)
    })
    stream.on('error', (err: Error & { code?: number }) => { if (err.code !== 1) reject(err) })
  })
  return {
    live,
    next: async (text) => await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`bench: the gRPC Subscribe never delivered ${text}`)) }, WAIT_MS)
      waiting.set(text, (at) => { clearTimeout(timer); waiting.delete(text); resolve(at) })
    })
  }
}

/** Post `live N` through `sender`'s composer (as a person: Playwright types and clicks Send): ms
 * from its submit to the row in `receiver`'s page; the sender's own row is shown too before it ends. */
async function throughPages (sender: Page, receiver: Page, n: number): Promise<number> {
  await sender.getByLabel('Message').fill(`live ${n}`)
  await sender.getByRole('button', { name: 'Send' }).click()
  const seen = Number(await (await receiver.waitForFunction((k) => (window.__seen as Record<string, number>)[k], String(n))).jsonValue())
  // one at a time: the sender's own row is stored too before the next
  await sender.waitForFunction((k) => (window.__seen as Record<string, number>)[k] !== undefined && (window.__sent as Record<string, number>)[k] !== undefined, String(n))
  return seen - Number(await sender.evaluate((k) => (window.__sent as Record<string, number>)[k], String(n)))
}

async function postFigure (log: (line: string) => void, s: Setup): Promise<Figure[]> {
  const [pageRoom, grpcRoom] = ['bench-page-live', 'bench-grpc-live']
  for (const room of [pageRoom, grpcRoom]) await joinBoth(s, room)
  const contexts = [await context(s.browser, { token: s.tokens.writer, room: pageRoom, stamps: true }), await context(s.browser, { token: s.tokens.reader, room: pageRoom, stamps: true })]
  // the browser's floor: the same two pages' work with a bare server and no Plexi (web-floor.ts)
  const floor = await startFloor()
  const floorContexts = [await context(s.browser, { stamps: true }), await context(s.browser, { stamps: true })]
  const stop = new AbortController()
  try {
    const opened = async (ctxs: BrowserContext[], url: string): Promise<[Page, Page]> =>
      await Promise.all(ctxs.map(async (c) => { const p = await c.newPage(); await p.goto(url); await p.locator('.room .state.live').waitFor(); return p })) as [Page, Page]
    const [sender, receiver] = await opened(contexts, `${s.base}/`)
    const [floorSender, floorReceiver] = await opened(floorContexts, floor.url)
    const subscribed = deliveries(s.reader, grpcRoom, stop.signal)
    await subscribed.live
    const viaPage = async (n: number): Promise<number> => await throughPages(sender, receiver, n)
    const viaFloor = async (n: number): Promise<number> => await throughPages(floorSender, floorReceiver, n)
    const viaGrpc = async (n: number): Promise<number> => {
      const delivered = subscribed.next(`live ${n}`)
      const began = performance.now()
      await s.writer.call('Post', { room: grpcRoom, text: `live ${n}` })
      return (await delivered) - began
    }
    // the receiving half alone: a grpc-js post (Date.now() here) to the row in the reader's page
    const grpcToPage = async (n: number): Promise<number> => {
      const began = Date.now()
      await s.writer.call('Post', { room: pageRoom, text: `live ${n}` })
      return Number(await (await receiver.waitForFunction((k) => (window.__seen as Record<string, number>)[k], String(n))).jsonValue()) - began
    }
    const ours: number[] = []
    const base: number[] = []
    const half: number[] = []
    const bare: number[] = []
    for (let n = 0; n < WARMUP_POSTS + POSTS; n++) {
      // rotating which side goes first, so all see the same machine
      const sides = [async () => await viaPage(n), async () => await viaGrpc(n), async () => await grpcToPage(HALF + n), async () => await viaFloor(n)]
      const took: number[] = []
      for (let i = 0; i < sides.length; i++) took[(i + n) % sides.length] = await (sides[(i + n) % sides.length] as () => Promise<number>)()
      if (n >= WARMUP_POSTS) { ours.push(took[0] as number); base.push(took[1] as number); half.push(took[2] as number); bare.push(took[3] as number) }
    }
    log(`  post -> shown in another browser: p50 ${median(ours)} ms, p90 ${percentile(ours, 90)} ms; gRPC Post -> Subscribe: p50 ${median(base).toFixed(2)} ms, p90 ${percentile(base, 90).toFixed(2)} ms; a grpc-js post -> shown in the page (the receiving half): p50 ${median(half)} ms, p90 ${percentile(half, 90)} ms; the browser's floor (a bare server, a fetch POST and a fetch stream, no Plexi): p50 ${median(bare)} ms, p90 ${percentile(bare, 90)} ms (${POSTS} posts each)`)
    const f = figure(`chat page: post -> shown in another browser's page, p50 of ${POSTS}`, 'ms (lower is better)', median(ours), 'gRPC Post -> Subscribe delivery p50 (grpc-js, as plexi chat)', median(base), '<= 1.2')
    const floorFigure = figure(`the browser's floor: post -> shown between two pages of a bare server (fetch POST, fetch stream), p50 of ${POSTS}`, 'ms (lower is better)', median(bare), 'gRPC Post -> Subscribe delivery p50 (grpc-js, as plexi chat)', median(base), 'quoted')
    for (const x of [f, floorFigure]) log(`  ${x.name}: ${x.value} ms vs ${x.baseline} ms (${x.ratio.toFixed(2)}x)`)
    return [f, floorFigure]
  } finally {
    stop.abort()
    for (const c of [...contexts, ...floorContexts]) await c.close()
    await floor.stop()
  }
}
