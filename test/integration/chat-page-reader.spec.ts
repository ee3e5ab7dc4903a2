/**
 * The chat page as a reader uses it (issue 42 item 2's last gaps) in a real Chromium against a real
 * node's parts (real LevelDB, real search index, the user listener on loopback): a search hit opens
 * its room at the hit, paged both ways and then live with no gap; rooms one belongs to but never
 * opened in the tab say so; one's own post withdrawn (Redact) from the keyboard, shown withdrawn in
 * every open page. Everything goes through gRPC-Web under the page's strict CSP; a violation or an
 * uncaught error fails the test.
 */
import { expect } from 'chai'
import { ROOM } from '../../actors/index.ts'
import { ChatPageRig, axeViolations, openRoom, post, waitShown } from '../helpers/chat-page-rig.ts'
import { GrpcWebClient } from '../helpers/grpc-web-client.ts'

/** The little of the browser's globals that functions run in the page read (no DOM types here). */
interface Element { scrollTop: number, readonly scrollHeight: number, readonly dataset: Record<string, string>, getBoundingClientRect (): { top: number, bottom: number } }
declare const document: { querySelector (s: string): Element, querySelectorAll (s: string): Iterable<Element> }

const CHAT = '/plexi.chat.v1.Chat'

describe('the chat page for a reader in a real browser: search hits, unread rooms, withdrawn posts', function () {
  this.timeout(180_000)
  const rig = new ChatPageRig()

  before(async function () {
    this.timeout(10 * 60_000)   // an apt-get install of chromium, where it is missing
    const { missing } = await rig.start({ role: 'chat,storage' })
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

  /** Bob's post straight into the room's journal; its seq. */
  const stored = async (room: string, text: string): Promise<number> =>
    (await rig.node.c.get('system').entity(ROOM, room).ask<{ seq: number }>((replyTo) => ({ type: 'post', user: 'bob', text, replyTo }))).seq

  it('should open a search hit\'s room at the hit, marked and in view, page forward to the end and go live with no message missed or shown twice', async () => {
    let hit = 0
    for (let i = 1; i <= 400; i++) {
      const seq = await stored('deep', i === 120 ? 'a narwhal surfaced' : `deep ${i}`)
      if (i === 120) hit = seq
    }
    await rig.node.c.get('searchIndex')?.settled()
    const ann = await rig.signedIn('ann')
    await openRoom(ann, 'elsewhere')
    const search = ann.getByRole('search')
    await search.getByLabel('Search', { exact: true }).fill('narwhal')
    await search.getByRole('button', { name: 'Search' }).click()
    await ann.getByRole('region', { name: 'search results' }).getByRole('button', { name: 'deep' }).click()
    const room = ann.getByRole('main', { name: 'room deep' })
    const found = room.locator(`li.message.found[data-seq="${hit}"]`)
    await found.waitFor()
    expect(await found.locator('.text').textContent()).to.equal('a narwhal surfaced')
    expect(await found.getAttribute('aria-current')).to.equal('true')
    // the hit in the list's box, the room not live yet: 100 messages about the hit, none of its last ones
    const inView = await ann.evaluate((seq) => {
      const box = document.querySelector('.messages').getBoundingClientRect()
      const row = document.querySelector(`.messages li[data-seq="${seq}"]`).getBoundingClientRect()
      return row.top >= box.top && row.bottom <= box.bottom
    }, hit)
    expect(inView, 'the hit in view').to.equal(true)
    expect(await room.locator('.state').textContent()).to.match(/^history/)
    const list = room.locator('.messages')
    expect(Number(await list.getAttribute('data-first'))).to.be.below(hit)
    expect(Number(await list.getAttribute('data-loaded'))).to.equal(100)
    await rig.shot(ann, 'chat-search-hit')
    // posts while the reader is back at the hit: read by the forward pages or by Subscribe, once each
    const during = await stored('deep', 'posted while ann read the hit')
    // paging forward, from the keyboard as a scroll would, until the room is live
    for (let pages = 0; await room.locator('.state.live').count() === 0; pages++) {
      expect(pages, 'pages forward').to.be.below(10)
      const later = room.getByRole('button', { name: 'Show later messages' })
      const loaded = Number(await list.getAttribute('data-loaded'))
      if (await later.count() === 0) { await room.locator('.state.live').waitFor(); break }
      await later.focus()
      await ann.keyboard.press('Enter')
      await ann.waitForFunction((n) => Number(document.querySelector('.messages').dataset.loaded) > n || document.querySelector('.room .state.live') !== null, loaded)
    }
    const after = await stored('deep', 'posted once ann was live')
    await waitShown(ann, ['posted once ann was live'])
    // at the end (the list keeps only the rows about the visible part in the page)
    await ann.evaluate(() => { const el = document.querySelector('.messages'); el.scrollTop = el.scrollHeight })
    await ann.waitForFunction((seq) => document.querySelector(`.messages li[data-seq="${seq}"]`) !== null, after)
    // every seq from the first shown to the last, once: the count says there is no gap (the feed keeps messages by seq)
    const first = Number(await list.getAttribute('data-first'))
    expect(Number(await list.getAttribute('data-loaded'))).to.equal(after - first + 1)
    expect(during).to.equal(after - 1)
    const texts = await ann.evaluate(() => [...document.querySelectorAll('.messages li.message:not(.pending) .text')].map((e) => (e as unknown as { textContent: string }).textContent))
    expect(texts.slice(-3)).to.deep.equal(['deep 400', 'posted while ann read the hit', 'posted once ann was live'])
    expect(new Set(texts).size).to.equal(texts.length)
    await ann.context().close()
  })

  it('should say "new" beside a room the user belongs to but never read in this tab, nothing beside one they do not, then count from the last seq read', async () => {
    const client = new GrpcWebClient(rig.base)
    expect((await client.call(`${CHAT}/Join`, { room: 'joined-elsewhere' }, { token: rig.tokens.ann })).code).to.equal(0)
    for (const room of ['joined-elsewhere', 'not-mine']) for (let i = 1; i <= 2; i++) await stored(room, `${room} ${i}`)
    const ann = await rig.signedIn('ann')
    const rooms = ann.getByRole('navigation', { name: 'rooms' })
    const joined = rooms.getByRole('button', { name: /^joined-elsewhere/ })
    await joined.locator('.unread.new').waitFor()
    expect(await joined.textContent()).to.match(/^\s*joined-elsewhere\s+new: not read in this tab\s*$/)
    expect(await rooms.getByRole('button', { name: /^not-mine/ }).locator('.unread').count()).to.equal(0)
    const violations = (await axeViolations(ann)).filter((v) => v.impact === 'serious' || v.impact === 'critical')
    expect(violations, 'axe: the rooms list with a new room').to.deep.equal([])
    await rig.shot(ann, 'chat-rooms-new')
    await joined.click()
    await waitShown(ann, ['joined-elsewhere 2'])
    await openRoom(ann, 'elsewhere-2')
    for (let i = 3; i <= 4; i++) await stored('joined-elsewhere', `joined-elsewhere ${i}`)
    // opening another room reads the list again
    await openRoom(ann, 'elsewhere-3')
    await joined.locator('.unread:not(.new)').waitFor()
    expect(await joined.textContent()).to.match(/^\s*joined-elsewhere\s+2 unread\s*$/)
    await ann.context().close()
  })

  it('should name in heads the rooms read here (read last first), then the newest others, 64 at most, and badge each room as its membership and mark say', async () => {
    const ann = await rig.signedIn('ann')
    const got = await ann.evaluate(async () => {
      type Room = { name: string, createdAt?: number, lastSeq?: number, member?: boolean }
      const { headsFor, unreadBadge } = await import('/ui/lib/read-marks.js' as string) as {
        headsFor: (marks: Map<string, number>, listed: Room[]) => string[], unreadBadge: (marks: Map<string, number>, room: Room) => number | string | undefined
      }
      const marks = new Map([['read-first', 3], ['read-last', 9]])
      const listed = Array.from({ length: 70 }, (_, i) => ({ name: `r${i}`, createdAt: i }))
      const heads = headsFor(marks, [...listed, { name: 'read-last', createdAt: 1000 }])
      return {
        heads: [heads.length, ...heads.slice(0, 4), heads.at(-1)],
        badges: [
          unreadBadge(marks, { name: 'read-last', lastSeq: 12, member: true }),
          unreadBadge(marks, { name: 'read-last', lastSeq: 12, member: false }),   // left since
          unreadBadge(marks, { name: 'never', lastSeq: 4, member: true }),
          unreadBadge(marks, { name: 'never', lastSeq: 4, member: false }),
          unreadBadge(marks, { name: 'never', lastSeq: 0, member: false }),        // not asked
          unreadBadge(marks, { name: 'read-first', lastSeq: 3, member: true })
        ]
      }
    })
    expect(got).to.deep.equal({ heads: [64, 'read-last', 'read-first', 'r69', 'r68', 'r8'], badges: [3, undefined, 'new', undefined, undefined, 0] })
    await ann.context().close()
  })

  it('should withdraw one\'s own post from the keyboard, show it withdrawn in every open page and after a reload, and offer no control on another\'s', async () => {
    const ann = await rig.signedIn('ann')
    const bob = await rig.signedIn('bob')
    await openRoom(bob, 'oops')
    await openRoom(ann, 'oops')
    await post(ann, 'a typo to withdraw')
    await waitShown(ann, ['a typo to withdraw'])
    await post(bob, 'bob stays')
    await post(ann, 'ann stays')
    await waitShown(ann, ['bob stays', 'ann stays'])
    await waitShown(bob, ['a typo to withdraw', 'ann stays'])
    const typo = ann.locator('.messages li.message').filter({ hasText: 'a typo to withdraw' })
    const seq = Number(await typo.getAttribute('data-seq'))
    // a control on each of ann's posts, none on bob's
    expect(await ann.locator('.messages li.message').filter({ hasText: 'bob stays' }).locator('button.withdraw').count()).to.equal(0)
    expect(await ann.locator('.messages button.withdraw').count()).to.equal(2)
    expect(await bob.locator('.messages button.withdraw').count()).to.equal(1)
    // reached with Tab from the ann's row before it, taken with Enter
    await ann.getByRole('button', { name: 'Show earlier messages' }).or(ann.getByRole('button', { name: 'Leave' })).first().focus()
    for (let tabs = 0; !await ann.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent?.startsWith('Withdraw') ?? false); tabs++) {
      expect(tabs, 'tabs to the control').to.be.below(10)
      await ann.keyboard.press('Tab')
    }
    expect(await ann.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).to.equal(`Withdraw your message ${seq}`)
    await ann.keyboard.press('Enter')
    for (const page of [ann, bob]) {
      const row = page.locator(`.messages li.message[data-seq="${seq}"]`)
      await row.locator('.text.redacted').waitFor()
      expect(await row.locator('.text').textContent()).to.equal('(withdrawn)')
      expect(await row.locator('button.withdraw').count()).to.equal(0)
    }
    await waitShown(bob, ['bob stays', 'ann stays'])
    const violations = (await axeViolations(ann)).filter((v) => v.impact === 'serious' || v.impact === 'critical')
    expect(violations, 'axe: a room with a withdrawn post and the controls').to.deep.equal([])
    await rig.shot(ann, 'chat-withdrawn')
    await bob.reload()
    await bob.locator(`.messages li.message[data-seq="${seq}"] .text.redacted`).waitFor()
    expect(await bob.locator('.messages').textContent()).to.not.include('a typo to withdraw')
    await ann.context().close()
    await bob.context().close()
  })
})
