import axe from 'axe-core'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { startReadiness } from '../../node/root/index.ts'
import { findChromium, watchedPage } from './chromium.ts'
import { startPartsUpTo } from './node-parts-fixture.ts'
import type { StartedParts } from './node-parts-fixture.ts'

/** How long the page may take to show what a test waits for, on a busy 2-core machine. */
export const UI_TIMEOUT = 30_000
/** Rate limits are for people; the specs post in bursts (node-process.ts NO_RATE_LIMITS). */
const NO_RATE_LIMITS = { 'chat-rate': 100_000, 'chat-burst': 100_000, 'ip-rate': 0, 'user-rate': 0 }

/** The little of the browser's globals that functions run in the page read (no DOM types here). */
declare const document: { querySelectorAll (selector: string): Iterable<{ readonly textContent: string | null }> }

/**
 * A real node's parts (real LevelDB, the user listener on loopback; `flags` over the lone node's)
 * and a real Chromium, for the chat page's specs: users with tokens, pages signed in, and the page's
 * problems (uncaught errors, CSP refusals) collected for the spec to fail on.
 */
export class ChatPageRig {
  readonly problems: string[] = []
  readonly tokens: Record<string, string> = {}
  base = ''
  shots = ''
  #node: StartedParts | undefined
  #browser: Browser | undefined

  /** Starts both; `missing` says why not when there is no Chromium (the spec skips). */
  async start (flags: Record<string, unknown> = {}, users: readonly string[] = ['ann', 'bob']): Promise<{ missing?: string }> {
    const found = await findChromium()
    if ('missing' in found) return { missing: found.missing }
    const [node, browser] = await Promise.all([startPartsUpTo('openai', { flags: { ...NO_RATE_LIMITS, ...flags } }), chromium.launch({ executablePath: found.path })])
    this.#node = node
    this.#browser = browser
    startReadiness(node.c)
    this.base = `http://127.0.0.1:${node.c.get('web')?.address.port ?? 0}`
    for (const user of users) this.tokens[user] = (await node.c.get('users').add(user)).token
    // PLEXI_CHAT_SCREENSHOTS=DIR puts them there instead
    this.shots = process.env.PLEXI_CHAT_SCREENSHOTS ?? await mkdtemp(join(tmpdir(), 'plexi-chat-page-'))
    return {}
  }

  get node (): StartedParts {
    if (this.#node === undefined) throw new Error('the rig starts first')
    return this.#node
  }

  async stop (): Promise<void> {
    await this.#browser?.close()
    this.#node?.c.get('state').drain()
    await this.#node?.stop()
  }

  /** A page of its own browser context, signed in as `user`. */
  async signedIn (user: string): Promise<Page> {
    if (this.#browser === undefined) throw new Error('the rig starts first')
    const page = await watchedPage(this.#browser, this.problems, UI_TIMEOUT)
    await page.goto(`${this.base}/`)
    await page.getByLabel('Your user token').fill(this.tokens[user] ?? '')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'rooms' }).waitFor()
    return page
  }

  /** Page shot `name`.png among the spec's screenshots. */
  async shot (page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(this.shots, `${name}.png`), fullPage: true })
  }
}

export async function openRoom (page: Page, room: string): Promise<void> {
  await page.getByLabel('Join or create').fill(room)
  await page.getByRole('button', { name: 'Open' }).click()
  await page.locator('.room .state.live').waitFor()
}

export async function post (page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text)
  await page.getByRole('button', { name: 'Send' }).click()
}

/** The texts of the room's stored messages as the page shows them, in its order. */
export async function shown (page: Page): Promise<string[]> {
  return await page.evaluate(() => [...document.querySelectorAll('.messages li.message:not(.pending):not(.partial) .text')].map((e) => e.textContent ?? ''))
}

export async function waitShown (page: Page, texts: string[]): Promise<void> {
  await page.waitForFunction((want) => {
    const have = [...document.querySelectorAll('.messages li.message:not(.pending):not(.partial) .text')].map((e) => e.textContent)
    return want.every((t) => have.includes(t))
  }, texts)
}

/** An accessibility rule that a view breaks, as axe-core reports it. */
export interface AxeViolation { readonly id: string, readonly impact: string, readonly help: string, readonly targets: string[] }

/**
 * axe-core's violations on the page as it is now (WCAG 2.x A and AA, and best practices). axe is put
 * in through the DevTools protocol, which the page's CSP does not govern: no script is allowed in.
 */
export async function axeViolations (page: Page): Promise<AxeViolation[]> {
  await page.evaluate(`${axe.source}\n;0`)
  return await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run (context: unknown, options: unknown): Promise<{ violations: Array<{ id: string, impact: string, help: string, nodes: Array<{ target: string[] }> }> }> } }).axe.run
    const { violations } = await run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] })
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
  })
}
