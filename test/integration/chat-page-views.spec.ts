/**
 * The chat page's views (issue 42 items 2, 4 and 5) in a real Chromium against a real node's parts
 * (real LevelDB, the ai role on the generated model, the user listener on loopback): agent answers as
 * sanitized Markdown that runs none of the common XSS payloads. Everything goes through gRPC-Web
 * under the page's strict Content-Security-Policy; a violation or an uncaught error fails the test.
 */
import { expect } from 'chai'
import { readFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { ROOM } from '../../actors/index.ts'
import { ChatPageRig, axeViolations, openRoom, post, shown, waitShown } from '../helpers/chat-page-rig.ts'
import type { AxeViolation } from '../helpers/chat-page-rig.ts'
import { GrpcWebClient } from '../helpers/grpc-web-client.ts'
import { XSS_PAYLOADS } from '../helpers/xss-payloads.ts'

/** The little of the browser's globals that functions run in the page read (no DOM types here). */
interface Element { readonly tagName: string, readonly value?: string, scrollTop: number, readonly scrollHeight: number, readonly dataset: Record<string, string>, readonly textContent: string | null, readonly attributes: Iterable<{ readonly name: string, readonly value: string }>, querySelectorAll (s: string): Iterable<Element>, append (...nodes: unknown[]): void }
declare const document: { createElement (tag: string): Element, readonly body: Element, querySelector (s: string): Element, querySelectorAll (s: string): Iterable<Element> }
declare const window: Record<string, unknown>

/** What Markdown may make on the page (lib/markdown.js) and the attributes it may keep. */
const SAFE_TAGS = ['P', 'BR', 'EM', 'STRONG', 'DEL', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI', 'A', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HR', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD']
const SAFE_ATTRIBUTES = ['href', 'title', 'start', 'align', 'target', 'rel']

describe('the chat page\'s views in a real browser', function () {
  this.timeout(180_000)
  const rig = new ChatPageRig()

  before(async function () {
    this.timeout(10 * 60_000)   // an apt-get install of chromium, where it is missing
    const { missing } = await rig.start({ role: 'chat,storage,ai' })
    if (missing !== undefined) {
      console.log(`      skipped: no Chromium for the chat page tests: ${missing}`)
      this.skip()
    }
    console.log(`      screenshots: ${rig.shots}`)
  })

  after(async () => { await rig.stop() })

  afterEach(function () {
    if (this.currentTest?.state === 'passed') expect(rig.problems, 'CSP violations or errors in the page').to.deep.equal([])
  })

  it('should load at most 150 KB of scripts, gzipped, for the whole page', async () => {
    const ann = await rig.signedIn('ann')
    await openRoom(ann, 'sizes')
    // every script the page loaded, as the node serves it
    const scripts = await ann.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType (t: string): Array<{ name: string, initiatorType: string }> } })
      .performance.getEntriesByType('resource').filter((e) => /\.m?js$/.test(new URL(e.name).pathname)).map((e) => new URL(e.name).pathname))
    expect(scripts).to.include.members(['/ui/app.js', '/ui/vendor/marked.mjs', '/ui/vendor/purify.mjs'])
    let own = 0
    let vendored = 0
    for (const path of new Set(scripts)) {
      const size = gzipSync(Buffer.from(await (await fetch(`${rig.base}${path}`)).arrayBuffer()), { level: 9 }).length
      if (path.startsWith('/ui/vendor/')) vendored += size
      else own += size
    }
    console.log(`      the page's scripts: ${((own + vendored) / 1000).toFixed(1)} KB gzipped (gzip -9 per file, summed: ${(own / 1000).toFixed(1)} KB its own, ${(vendored / 1000).toFixed(1)} KB vendored; goal <= 150 KB)`)
    expect(own + vendored).to.be.at.most(150_000)
    await ann.context().close()
  })

  it('should render agent Markdown through the sanitizer and run none of the common XSS payloads, as Markdown or as posts', async () => {
    const ann = await rig.signedIn('ann')
    // the page's own render function, in the page, under its CSP: every payload as an agent's answer
    const rendered = await ann.evaluate(async (payloads) => {
      const { markdownFragment } = await import('/ui/lib/markdown.js' as string) as { markdownFragment: (text: string) => unknown }
      return payloads.map((payload) => {
        const box = document.createElement('div')
        box.append(markdownFragment(payload))
        document.body.append(box)
        const elements = [...box.querySelectorAll('*')]
        return {
          text: box.textContent ?? '',
          tags: elements.map((e) => e.tagName),
          attributes: elements.flatMap((e) => [...e.attributes].map((a) => [a.name, a.value]))
        }
      })
    }, XSS_PAYLOADS)
    expect(rendered).to.have.length(XSS_PAYLOADS.length)
    for (const [i, r] of rendered.entries()) {
      const payload = XSS_PAYLOADS[i] ?? ''
      expect(SAFE_TAGS, `the elements ${payload} made`).to.include.members(r.tags)
      for (const [name, value] of r.attributes) {
        expect(SAFE_ATTRIBUTES, `an attribute ${payload} made`).to.include(name)
        if (name === 'href') expect(value, `a link ${payload} made`).to.match(/^(?:https?:\/\/|mailto:)/i)
      }
      // raw HTML stays text: the tag is there to read
      const tag = /<[a-z]+/i.exec(payload)?.[0]
      if (tag !== undefined) expect(r.text, payload).to.include(tag)
    }
    // and as posts: text, no element at all
    await openRoom(ann, 'xss-list')
    for (const p of XSS_PAYLOADS) await post(ann, p)
    await waitShown(ann, [...XSS_PAYLOADS])
    expect(await shown(ann)).to.include.members([...XSS_PAYLOADS])
    expect(await ann.locator('.messages li.message .text *').count()).to.equal(0)
    expect(await ann.evaluate(() => window.__xss)).to.equal(undefined)
    await rig.shot(ann, 'chat-xss-list')
    await ann.context().close()
  })

  it('should render an agent\'s Markdown as formatting, links opening apart, when it is well-formed', async () => {
    const ann = await rig.signedIn('ann')
    const made = await ann.evaluate(async (text) => {
      const { markdownFragment } = await import('/ui/lib/markdown.js' as string) as { markdownFragment: (text: string) => unknown }
      const box = document.createElement('div')
      box.append(markdownFragment(text))
      return [...box.querySelectorAll('*')].map((e) => [e.tagName, e.textContent, ...[...e.attributes].map((a) => `${a.name}=${a.value}`)])
    }, '**bold** and `code`\n\n- one\n- [two](https://example.com/x)')
    expect(made).to.deep.equal([
      ['P', 'bold and code'], ['STRONG', 'bold'], ['CODE', 'code'],
      ['UL', '\none\ntwo\n'], ['LI', 'one'], ['LI', 'two'], ['A', 'two', 'href=https://example.com/x', 'target=_blank', 'rel=noopener noreferrer nofollow']
    ])
    await ann.context().close()
  })

  it('should keep at most 150 message rows in the page, when a room of 10,000 messages is paged back to its first by scrolling to the top', async () => {
    const system = rig.node.c.get('system')
    const started = Date.now()
    // 10,000 posts into the room's journal, 250 at a time (its writes are pipelined)
    for (let i = 0; i < 10_000; i += 250) {
      await Promise.all(Array.from({ length: 250 }, async (_, j) => await system.entity(ROOM, 'long').ask((replyTo) => ({ type: 'post', user: 'bob', text: `long ${i + j + 1}`, replyTo }))))
    }
    console.log(`      10,000 posts stored in ${Date.now() - started} ms`)
    const ann = await rig.signedIn('ann')
    await openRoom(ann, 'long')
    const list = ann.locator('.room .messages')
    await list.and(ann.locator('[data-loaded="100"]')).waitFor()
    /** Seqs of the message rows in the page, in order. */
    const rows = async (): Promise<number[]> => await ann.evaluate(() => [...document.querySelectorAll('.messages li[data-seq]')].map((e) => Number(e.dataset.seq)))
    let most = 0
    const paging = Date.now()
    for (let first = 9902, pages = 0; first > 1; pages++) {
      expect(pages, 'pages back').to.be.below(120)
      // scrolled to the top, the list asks for the 100 before (and keeps the reader where they were)
      await ann.evaluate(() => { document.querySelector('.messages').scrollTop = 0 })
      await ann.waitForFunction((before) => Number(document.querySelector('.messages').dataset.first) < before, first)
      first = Number(await list.getAttribute('data-first'))
      most = Math.max(most, (await rows()).length)
      expect(await ann.evaluate(() => document.querySelector('.messages').scrollTop), 'the reader kept where they were').to.be.above(0)
    }
    console.log(`      paged back to seq 1 of 10,001 by scrolling in ${Date.now() - paging} ms; at most ${most} message rows in the page`)
    expect(Number(await list.getAttribute('data-loaded'))).to.equal(10_001)
    expect(most).to.be.below(200)
    // at the top: the first rows, in order; in the middle: a window of consecutive seqs
    await ann.evaluate(() => { document.querySelector('.messages').scrollTop = 0 })
    await ann.waitForFunction(() => document.querySelector('.messages li[data-seq]').dataset.seq === '1')
    await ann.evaluate(() => { const el = document.querySelector('.messages'); el.scrollTop = el.scrollHeight / 2 })
    await ann.waitForFunction(() => [...document.querySelectorAll('.messages li[data-seq]')].some((e) => Number(e.dataset.seq) > 4000))
    const middle = await rows()
    expect(middle.length).to.be.within(10, 199)
    expect(middle).to.deep.equal(Array.from({ length: middle.length }, (_, i) => (middle[0] ?? 0) + i))
    await rig.shot(ann, 'chat-long-room')
    // another's post while the reader is in the middle: it comes in, the reader stays
    const before = await ann.evaluate(() => document.querySelector('.messages').scrollTop)
    await system.entity(ROOM, 'long').ask((replyTo) => ({ type: 'post', user: 'bob', text: 'while ann reads', replyTo }))
    await list.and(ann.locator('[data-loaded="10002"]')).waitFor()
    expect(await ann.evaluate(() => document.querySelector('.messages').scrollTop)).to.equal(before)
    // a post of one's own goes to the end, and the list with it
    await post(ann, 'after the 10,000')
    await waitShown(ann, ['after the 10,000'])
    expect((await rows()).at(-1)).to.equal(10_003)
    expect((await rows()).length).to.be.below(200)
    await ann.context().close()
  })

  it('should choose the agent\'s model and settings, refuse a value out of range before sending it, keep them, and forget the conversation on Reset', async () => {
    const ann = await rig.signedIn('ann')
    const settings = async (): Promise<{ persona: string, model: string, sampling: { temperature: number, maxTokens: number } }> =>
      (await new GrpcWebClient(rig.base).call('/plexi.agent.v1.Agent/GetSettings', { user: '' }, { token: rig.tokens.ann ?? '' })).messages[0] as never
    const pane = ann.getByRole('complementary', { name: 'your agent' })
    await pane.getByText('Settings', { exact: true }).click()
    const model = pane.getByLabel('Model')
    await model.locator('option').nth(1).waitFor({ state: 'attached' })
    const models = (await model.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).slice(1)
    expect(models, 'the models the agent\'s node can run').to.not.be.empty
    await model.selectOption(models[0] ?? '')
    await pane.getByLabel('Persona').fill('You answer in **Markdown**.')
    await pane.getByLabel('Temperature').fill('5')
    await pane.getByRole('button', { name: 'Save settings' }).click()
    await pane.getByRole('alert').getByText('Temperature: expected a number from 0 to 2, got "5"').waitFor()
    expect((await settings()).persona, 'nothing sent').to.not.equal('You answer in **Markdown**.')
    await pane.getByLabel('Temperature').fill('0.25')
    await pane.getByLabel('Most tokens an answer').fill('8')
    await pane.getByRole('button', { name: 'Save settings' }).click()
    await pane.getByRole('status').getByText('saved').waitFor()
    const saved = await settings()
    expect([saved.persona, saved.model, saved.sampling.temperature, saved.sampling.maxTokens]).to.deep.equal(['You answer in **Markdown**.', models[0], 0.25, 8])
    // a new page shows them
    await ann.reload()
    await pane.getByText('Settings', { exact: true }).click()
    await ann.waitForFunction(() => (document.querySelector('#agent-temperature') as Element | null)?.value === '0.25')
    expect(await pane.getByLabel('Model').inputValue()).to.equal(models[0])
    // an answer (the generated model's noise, 8 tokens at most) lands as Markdown
    await pane.getByLabel('Ask your agent').fill('hello')
    await pane.getByRole('button', { name: 'Ask' }).click()
    await pane.locator('li.turn.assistant:not(.streaming) .markdown').waitFor()
    await rig.shot(ann, 'chat-agent-settings')
    await pane.getByRole('button', { name: 'Forget the conversation' }).click()
    await pane.getByRole('status').getByText('the conversation is forgotten (2 turns)').waitFor()
    expect(await pane.locator('li.turn').count()).to.equal(0)
    const history = await new GrpcWebClient(rig.base).call('/plexi.agent.v1.Agent/History', { user: '', limit: 0 }, { token: rig.tokens.ann ?? '' })
    expect((history.messages[0] as { turns: unknown[] }).turns).to.deep.equal([])
    await ann.context().close()
  })

  it('should find posts with the search box, open a hit\'s room, and save a room\'s export as a download', async () => {
    const ann = await rig.signedIn('ann')
    await openRoom(ann, 'finds')
    const texts = ['a walrus on the ice', 'nothing to see', 'the walrus again']
    for (const t of texts) await post(ann, t)
    await waitShown(ann, texts)
    await rig.node.c.get('searchIndex')?.settled()
    await openRoom(ann, 'elsewhere')
    const search = ann.getByRole('search')
    await search.getByRole('button', { name: 'Search' }).click()
    await ann.getByRole('alert').getByText('a search is 1 to 512 characters').waitFor()
    await search.getByLabel('Search', { exact: true }).fill('walrus')
    await search.getByRole('button', { name: 'Search' }).click()
    const results = ann.getByRole('region', { name: 'search results' })
    await results.getByText('2 hits').waitFor()
    expect(await results.locator('.hit .snippet').allTextContents()).to.have.members(['a walrus on the ice', 'the walrus again'])
    expect(await results.locator('.hit mark').allTextContents()).to.deep.equal(['walrus', 'walrus'])
    await rig.shot(ann, 'chat-search')
    await results.getByRole('button', { name: 'finds' }).first().click()
    await ann.getByRole('main', { name: 'room finds' }).locator('.state.live').waitFor()
    expect(await results.count()).to.equal(0)
    // the room's export, streamed, saved as finds.json
    const [download] = await Promise.all([ann.waitForEvent('download'), ann.getByRole('button', { name: 'Export' }).click()])
    expect(download.suggestedFilename()).to.equal('finds.json')
    const saved = await readFile(await download.path(), 'utf8')
    for (const t of texts) expect(saved).to.include(JSON.stringify(t))
    await ann.getByRole('status').getByText(/^exported \(\d+ bytes\)$/).waitFor()
    await ann.context().close()
  })

  it('should have no serious or critical accessibility violation (axe-core) in any view, each of which is photographed', async () => {
    const ann = await rig.signedIn('ann')
    const found: Record<string, AxeViolation[]> = {}
    const check = async (view: string): Promise<void> => {
      await rig.shot(ann, `chat-view-${view}`)
      found[view] = await axeViolations(ann)
    }
    await ann.getByRole('button', { name: 'Sign out' }).click()
    await ann.getByLabel('Your user token').waitFor()
    await check('sign-in')
    await ann.getByLabel('Your user token').fill(rig.tokens.ann ?? '')
    await ann.getByRole('button', { name: 'Sign in' }).click()
    await openRoom(ann, 'a11y')
    for (const t of ['hello', 'a longer line of text so that the row wraps on a narrow screen, as posts do']) await post(ann, t)
    await waitShown(ann, ['hello'])
    await check('room')
    const pane = ann.getByRole('complementary', { name: 'your agent' })
    await pane.getByText('Settings', { exact: true }).click()
    await pane.getByLabel('Model').waitFor()
    await check('agent-settings')
    await ann.getByRole('search').getByLabel('Search', { exact: true }).fill('hello')
    await ann.getByRole('search').getByRole('button', { name: 'Search' }).click()
    await ann.getByRole('region', { name: 'search results' }).waitFor()
    await check('search')
    await ann.setViewportSize({ width: 390, height: 844 })
    await check('phone')
    for (const [view, violations] of Object.entries(found)) {
      for (const v of violations) console.log(`      axe, ${view}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(', ')}`)
    }
    const serious = Object.entries(found).flatMap(([view, violations]) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${view}: ${v.id} at ${v.targets.join(', ')}`))
    expect(serious).to.deep.equal([])
    await ann.context().close()
  })

  it('should show an @agent answer in a room as sanitized Markdown under the agent\'s name, and the question as text', async () => {
    // short answers: the generated model's noise, 8 tokens at most
    const configured = await new GrpcWebClient(rig.base).call('/plexi.agent.v1.Agent/Configure', { user: '', maxTokens: 8 }, { token: rig.tokens.bob ?? '' })
    expect(configured.code).to.equal(0)
    const bob = await rig.signedIn('bob')
    await openRoom(bob, 'with-agent')
    await post(bob, '@agent say **something**')
    const answer = bob.locator('.messages li.message').filter({ has: bob.locator('.user', { hasText: 'bob\'s agent' }) })
    await answer.locator('.text.markdown').waitFor()
    const question = bob.locator('.messages li.message:not(.pending)').filter({ hasText: '@agent say **something**' })
    expect(await question.locator('span.text').textContent()).to.equal('@agent say **something**')
    expect(await question.locator('.text *').count()).to.equal(0)
    const tags = await answer.locator('.text.markdown *').evaluateAll((elements) => elements.map((e) => (e as unknown as { tagName: string }).tagName))
    expect(SAFE_TAGS).to.include.members(tags)
    await rig.shot(bob, 'chat-agent-in-room')
    await bob.context().close()
  })

  it('should keep the last seq read of the 64 rooms read last, only ever forward, whatever the tab\'s storage held', async () => {
    const ann = await rig.signedIn('ann')
    const marks = await ann.evaluate(async () => {
      type Marks = Map<string, number>
      const { markRead, readMarks, unreadCount } = await import('/ui/lib/read-marks.js' as string) as {
        markRead: (room: string, seq: number) => Marks, readMarks: () => Marks, unreadCount: (marks: Marks, room: { name: string, lastSeq: number }) => number | undefined
      }
      const storage = (globalThis as unknown as { sessionStorage: { setItem (k: string, v: string): void } }).sessionStorage
      storage.setItem('plexi-chat-read', '{not json')
      const garbled = readMarks().size
      storage.setItem('plexi-chat-read', JSON.stringify([['ok', 3], ['bad', 'x'], 7, ['constructor', 2]]))
      const kept = [...readMarks()]
      markRead('ok', 2)   // back: ignored
      for (let i = 0; i < 70; i++) markRead(`r${i}`, i + 1)
      const after = readMarks()
      return {
        garbled,
        kept,
        size: after.size,
        first: [...after.keys()][0],
        ok: after.get('ok'),
        counts: [unreadCount(after, { name: 'r69', lastSeq: 75 }), unreadCount(after, { name: 'r69', lastSeq: 0 }), unreadCount(after, { name: 'never', lastSeq: 9 }), unreadCount(after, { name: 'r69', lastSeq: 60 })]
      }
    })
    expect(marks).to.deep.equal({ garbled: 0, kept: [['ok', 3], ['constructor', 2]], size: 64, first: 'r6', ok: undefined, counts: [5, undefined, undefined, 0] })
    await ann.context().close()
  })
})
