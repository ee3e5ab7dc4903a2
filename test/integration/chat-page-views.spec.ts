/**
 * The chat page's views (issue 42 items 2, 4 and 5) in a real Chromium against a real node's parts
 * (real LevelDB, the ai role on the generated model, the user listener on loopback): agent answers as
 * sanitized Markdown that runs none of the common XSS payloads. Everything goes through gRPC-Web
 * under the page's strict Content-Security-Policy; a violation or an uncaught error fails the test.
 */
import { expect } from 'chai'
import { gzipSync } from 'node:zlib'
import { ChatPageRig, openRoom, post, shown, waitShown } from '../helpers/chat-page-rig.ts'
import { XSS_PAYLOADS } from '../helpers/xss-payloads.ts'

/** The little of the browser's globals that functions run in the page read (no DOM types here). */
interface Element { readonly tagName: string, readonly textContent: string | null, readonly attributes: Iterable<{ readonly name: string, readonly value: string }>, querySelectorAll (s: string): Iterable<Element>, append (...nodes: unknown[]): void }
declare const document: { createElement (tag: string): Element, readonly body: Element }
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
})
