/**
 * The chat page (issue 42) in a real Chromium against a real node's parts (real LevelDB, the user
 * listener on loopback): a user signs in with a token, two users in two browser contexts open a room
 * and see each other's posts in one order, XSS payloads render as text and run nothing, and the page
 * opens a room with its last 100 messages. Everything goes through gRPC-Web under the page's strict
 * Content-Security-Policy; a violation or an uncaught error in a page fails the test.
 */
import { expect } from 'chai'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { startReadiness } from '../../node/root/index.ts'
import { findChromium, watchedPage } from '../helpers/chromium.ts'
import { GrpcWebClient } from '../helpers/grpc-web-client.ts'
import { startPartsUpTo } from '../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../helpers/node-parts-fixture.ts'

/** How long the page may take to show what a test waits for, on a busy 2-core machine. */
const UI_TIMEOUT = 30_000
const CHAT = '/plexi.chat.v1.Chat'
/** Rate limits are for people; the spec posts in bursts (node-process.ts NO_RATE_LIMITS). */
const NO_RATE_LIMITS = { 'chat-rate': 100_000, 'chat-burst': 100_000, 'ip-rate': 0, 'user-rate': 0 }

/** The little of the browser's globals that functions run in the page read (no DOM types here). */
declare const document: { querySelectorAll (selector: string): Iterable<{ readonly textContent: string | null }> }
declare const window: Record<string, unknown>
declare const sessionStorage: { getItem (key: string): string | null }
declare const localStorage: { readonly length: number }

describe('the chat page in a real browser', function () {
  this.timeout(120_000)
  let node: StartedParts | undefined
  let browser: Browser | undefined
  let base = ''
  let shots = ''
  const tokens = { ann: '', bob: '' }
  const problems: string[] = []

  before(async function () {
    this.timeout(10 * 60_000)   // an apt-get install of chromium, where it is missing
    const found = await findChromium()
    if ('missing' in found) {
      console.log(`      skipped: no Chromium for the chat page tests: ${found.missing}`)
      this.skip()
    }
    this.timeout(120_000)
    const [started, launched] = await Promise.all([startPartsUpTo('openai', { flags: NO_RATE_LIMITS }), chromium.launch({ executablePath: (found as { path: string }).path })])
    node = started
    browser = launched
    startReadiness(node.c)
    base = `http://127.0.0.1:${node.c.get('web')?.address.port ?? 0}`
    tokens.ann = (await node.c.get('users').add('ann')).token
    tokens.bob = (await node.c.get('users').add('bob')).token
    // PLEXI_CHAT_SCREENSHOTS=DIR puts them there instead
    shots = process.env.PLEXI_CHAT_SCREENSHOTS ?? await mkdtemp(join(tmpdir(), 'plexi-chat-page-'))
    console.log(`      screenshots: ${shots}`)
  })

  after(async () => {
    await browser?.close()
    node?.c.get('state').drain()
    await node?.stop()
  })

  afterEach(function () {
    if (this.currentTest?.state === 'passed') expect(problems, 'CSP violations or errors in the page').to.deep.equal([])
  })

  const signedIn = async (token: string): Promise<Page> => {
    if (browser === undefined) throw new Error('the browser starts in before()')
    const page = await watchedPage(browser, problems, UI_TIMEOUT)
    await page.goto(`${base}/`)
    await page.getByLabel('Your user token').fill(token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'rooms' }).waitFor()
    return page
  }
  const openRoom = async (page: Page, room: string): Promise<void> => {
    await page.getByLabel('Join or create').fill(room)
    await page.getByRole('button', { name: 'Open' }).click()
    await page.locator('.room .state.live').waitFor()
  }
  const post = async (page: Page, text: string): Promise<void> => {
    await page.getByLabel('Message').fill(text)
    await page.getByRole('button', { name: 'Send' }).click()
  }
  /** The texts of the room's stored messages as the page shows them, in its order. */
  const shown = async (page: Page): Promise<string[]> => await page.evaluate(() => [...document.querySelectorAll('.messages li.message:not(.pending):not(.partial) .text')].map((e) => e.textContent ?? ''))
  const waitShown = async (page: Page, texts: string[]): Promise<void> => {
    await page.waitForFunction((want) => {
      const have = [...document.querySelectorAll('.messages li.message:not(.pending):not(.partial) .text')].map((e) => e.textContent)
      return want.every((t) => have.includes(t))
    }, texts)
  }

  it('should refuse a wrong token plainly and keep the right one in the tab only, never in the URL', async () => {
    if (browser === undefined) throw new Error('the browser starts in before()')
    const page = await watchedPage(browser, problems, UI_TIMEOUT)
    await page.goto(`${base}/`)
    await page.getByLabel('Your user token').fill('not-a-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').getByText('the node does not know this token').waitFor()
    await page.getByLabel('Your user token').fill(tokens.ann)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'rooms' }).waitFor()
    expect(await page.evaluate(() => sessionStorage.getItem('plexi-chat-token'))).to.equal(tokens.ann)
    expect(await page.evaluate(() => localStorage.length)).to.equal(0)
    expect(page.url()).to.equal(`${base}/`)
    await page.context().close()
  })

  it('should show two users\' posts to both in one order, when they post in one room from two browsers', async () => {
    const [ann, bob] = await Promise.all([signedIn(tokens.ann), signedIn(tokens.bob)])
    await openRoom(ann, 'lobby')
    await openRoom(bob, 'lobby')
    const texts = ['ann 1', 'bob 1', 'ann 2', 'bob 2']
    await Promise.all([
      (async () => { await post(ann, 'ann 1'); await post(ann, 'ann 2') })(),
      (async () => { await post(bob, 'bob 1'); await post(bob, 'bob 2') })()
    ])
    await Promise.all([waitShown(ann, texts), waitShown(bob, texts)])
    const [seenByAnn, seenByBob] = [await shown(ann), await shown(bob)]
    expect(seenByAnn).to.have.members(texts)
    expect(seenByBob).to.deep.equal(seenByAnn)
    for (const page of [ann, bob]) expect(await page.locator('.room .state').textContent()).to.equal('live')
    // ann opened the room first: bob's JOIN, live, counts him in
    for (const page of [ann, bob]) await page.locator('.room .members').getByText('2 members').waitFor()
    // the order is the room's (seq): what History gives a third reader
    const history = await new GrpcWebClient(base).call(`${CHAT}/History`, { room: 'lobby', after: 0, limit: 100 }, { token: tokens.ann })
    const [page] = history.messages as Array<{ messages: Array<{ text: string }> }>
    expect(page?.messages.map((m) => m.text).filter((t) => t !== '')).to.deep.equal(seenByAnn)
    await ann.screenshot({ path: join(shots, 'chat-room.png'), fullPage: true })
    await Promise.all([ann.context().close(), bob.context().close()])
  })

  it('should render XSS payloads as text and run none of them, when a user posts markup', async () => {
    const [ann, bob] = await Promise.all([signedIn(tokens.ann), signedIn(tokens.bob)])
    await openRoom(ann, 'xss')
    await openRoom(bob, 'xss')
    const payloads = ['<img src=x onerror="window.__xss=1">', '<script>window.__xss=2</script>', '<a href="javascript:window.__xss=3">click</a>', '"><svg onload=window.__xss=4>']
    for (const p of payloads) await post(ann, p)
    await Promise.all([waitShown(ann, payloads), waitShown(bob, payloads)])
    for (const page of [ann, bob]) {
      expect(await shown(page)).to.include.members(payloads)
      expect(await page.locator('.messages img, .messages script, .messages svg, .messages a').count()).to.equal(0)
      expect(await page.evaluate(() => window.__xss)).to.equal(undefined)
    }
    await bob.screenshot({ path: join(shots, 'chat-xss.png'), fullPage: true })
    await Promise.all([ann.context().close(), bob.context().close()])
  })

  it('should store a post once, when its first answer is lost and the page sends it again with the same client_id', async () => {
    const ann = await signedIn(tokens.ann)
    await openRoom(ann, 'lossy')
    const bodies: string[] = []
    let answered: () => void = () => undefined
    const retried = new Promise<void>((resolve) => { answered = resolve })
    // the first Post reaches the node, which stores it; its answer never reaches the page, which
    // sends it again (the node's answer to that one does reach it)
    await ann.route('**/plexi.chat.v1.Chat/Post', async (route) => {
      bodies.push(route.request().postDataBuffer()?.toString('base64') ?? '')
      const response = await route.fetch()
      if (bodies.length === 1) {
        await route.abort('connectionreset')
      } else {
        await route.fulfill({ response })
        answered()
      }
    })
    await post(ann, 'said once')
    await waitShown(ann, ['said once'])
    await retried
    await ann.locator('.messages li.pending').waitFor({ state: 'detached' })
    expect(new Set(bodies).size, 'every try the same request, client_id included').to.equal(1)
    const history = await new GrpcWebClient(base).call(`${CHAT}/History`, { room: 'lossy', after: 0, limit: 100 }, { token: tokens.ann })
    const [page] = history.messages as Array<{ messages: Array<{ text: string }> }>
    expect(page?.messages.filter((m) => m.text === 'said once')).to.have.length(1)
    expect(await shown(ann)).to.deep.equal(['said once'])
    await ann.context().close()
  })

  it('should show every post once, in order, when its stream is cut and the page subscribes again from the last seq', async () => {
    const client = new GrpcWebClient(base)
    const postAs = async (token: string, text: string): Promise<void> => {
      expect((await client.call(`${CHAT}/Post`, { room: 'flaky', text }, { token })).code).to.equal(0)
    }
    await postAs(tokens.bob, 'before 1')
    const ann = await signedIn(tokens.ann)
    let subscribes = 0
    // the first Subscribe is cut, after bob posted twice more that it never delivers
    await ann.route('**/plexi.chat.v1.Chat/Subscribe', async (route) => {
      if (++subscribes === 1) {
        await postAs(tokens.bob, 'while cut 1')
        await postAs(tokens.bob, 'while cut 2')
        await route.abort('connectionreset')
      } else await route.continue()
    })
    await openRoom(ann, 'flaky')
    await postAs(tokens.bob, 'after')
    await waitShown(ann, ['after'])
    expect(subscribes).to.equal(2)
    expect(await shown(ann)).to.deep.equal(['before 1', 'while cut 1', 'while cut 2', 'after'])
    await ann.context().close()
  })

  it('should show the node\'s reason as text in the agent pane, and keep the question, when no member holds the ai role', async () => {
    const ann = await signedIn(tokens.ann)
    const pane = ann.getByRole('complementary', { name: 'your agent' })
    await pane.getByRole('alert').getByText('no member that is up holds the ai role', { exact: false }).waitFor()
    await pane.getByLabel('Ask your agent').fill('<b>hello</b> agent')
    await pane.getByRole('button', { name: 'Ask' }).click()
    await pane.locator('.turn.user .text').getByText('<b>hello</b> agent', { exact: true }).waitFor()
    await pane.getByRole('alert').getByText('no member that is up holds the ai role', { exact: false }).waitFor()
    await pane.getByRole('button', { name: 'Ask' }).waitFor()
    expect(await pane.locator('b').count()).to.equal(0)
    await ann.screenshot({ path: join(shots, 'chat-agent-pane.png'), fullPage: true })
    await ann.setViewportSize({ width: 390, height: 844 })
    await ann.screenshot({ path: join(shots, 'chat-phone.png'), fullPage: true })
    await ann.context().close()
  })

  it('should count a room\'s unread messages from the last seq read in this tab, and clear the count when the room is opened', async () => {
    const client = new GrpcWebClient(base)
    expect((await client.call(`${CHAT}/Join`, { room: 'news' }, { token: tokens.bob })).code).to.equal(0)
    const ann = await signedIn(tokens.ann)
    await openRoom(ann, 'news')
    await openRoom(ann, 'desk')
    for (let i = 1; i <= 3; i++) expect((await client.call(`${CHAT}/Post`, { room: 'news', text: `news ${i}` }, { token: tokens.bob })).code).to.equal(0)
    // opening a room reads the list again (as does a timer, every 15 s)
    await openRoom(ann, 'desk-2')
    const news = ann.getByRole('navigation', { name: 'rooms' }).getByRole('button', { name: /^news/ })
    // a list read that was under way while bob posted may show a smaller count first: wait for the
    // read that follows the last post (the count only grows until the room is opened)
    await news.locator('.unread', { hasText: '3 unread' }).waitFor()
    expect(await news.textContent()).to.match(/^\s*news\s+3 unread\s*$/)
    await ann.screenshot({ path: join(shots, 'chat-unread.png'), fullPage: true })
    await news.click()
    await waitShown(ann, ['news 3'])
    await openRoom(ann, 'desk')
    expect(await news.locator('.unread').count()).to.equal(0)
    expect(await ann.evaluate(() => JSON.parse(sessionStorage.getItem('plexi-chat-read') ?? '[]'))).to.deep.include(['news', 5])
    await ann.context().close()
  })

  it('should open a room with its last 100 messages, then live, and page back by seq to its first, when it holds more', async () => {
    const client = new GrpcWebClient(base)
    // both in the room first, so that its last 100 events are all posts (a Join of a member adds none)
    for (const token of [tokens.ann, tokens.bob]) expect((await client.call(`${CHAT}/Join`, { room: 'busy' }, { token })).code).to.equal(0)
    for (let i = 1; i <= 150; i++) expect((await client.call(`${CHAT}/Post`, { room: 'busy', text: `busy ${i}` }, { token: tokens.bob })).code).to.equal(0)
    const ann = await signedIn(tokens.ann)
    const started = Date.now()
    await openRoom(ann, 'busy')
    await waitShown(ann, ['busy 150'])
    console.log(`      the room's last 100 messages shown and live ${Date.now() - started} ms after Open (loopback, this machine's load)`)
    const texts = await shown(ann)
    expect(texts[0]).to.equal('busy 51')
    expect(texts.at(-1)).to.equal('busy 150')
    expect(texts).to.have.length(100)
    // paging back by seq: the 50 before (and the two joins), then nothing more to show
    // (the click as an event: scrolled into view, the button is near the list's top, where scrolling
    // pages back by itself and the button goes before a click lands; the views spec scrolls)
    await ann.getByRole('button', { name: 'Show earlier messages' }).dispatchEvent('click')
    await waitShown(ann, ['busy 1'])
    expect(await shown(ann)).to.deep.equal(Array.from({ length: 150 }, (_, i) => `busy ${i + 1}`))
    await ann.getByRole('button', { name: 'Show earlier messages' }).waitFor({ state: 'detached' })
    await post(ann, 'after the 150')
    await waitShown(ann, ['after the 150'])
    await ann.context().close()
  })
})
