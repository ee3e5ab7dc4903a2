/**
 * The dashboard's Cluster view at 30 members (issue 41: the operator's view at size), in a real
 * Chromium against a real node. Thirty real processes are the scale-out bench's to start; here the
 * node's own `GET /api/v1/cluster` answer, as it comes, is given 29 more members made from its own
 * record (other peer ids, roles and states), so the page draws what a 30-member cluster answers: a
 * summary by role and status first, the picture in rows by role (no hairball of 435 lines), the
 * members that need a look first in the table, and a filter.
 */
import { expect } from 'chai'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { findChromium, watchedPage } from '../helpers/chromium.ts'
import { useNodeProcess } from '../helpers/node-process.ts'

const UI_TIMEOUT = 30_000
const SIZE = 30

interface Member { peerId: string, roles: string[], status: string, addresses: { grpc: string, admin: string, p2p: string[] }, load: { entities: number, actors: number } }

/** Base58 characters (a peer id's alphabet) for made-up peer ids that read like real ones. */
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** `count` members made from `self`'s record: 20 chat, 7 storage (one down, one suspect), 2 ai (one
 * joining), so that every row of the summary has something to say. */
function madeUp (self: Member, count: number): Member[] {
  return Array.from({ length: count }, (_, i) => {
    const peerId = `12D3KooW${Array.from({ length: 44 }, (_, j) => B58[(i * 7 + j * 13) % B58.length]).join('')}`
    const roles = i < 20 ? ['chat'] : i < 27 ? ['chat', 'storage'] : ['ai']
    const status = i === 21 ? 'down' : i === 22 ? 'suspect' : i === 27 ? 'joining' : 'up'
    const port = 20000 + i * 3
    return {
      ...self,
      peerId,
      roles,
      status,
      addresses: { grpc: `127.0.0.1:${port}`, admin: `127.0.0.1:${port + 2}`, p2p: [`/ip4/127.0.0.1/tcp/${port + 1}/p2p/${peerId}`] },
      load: { ...self.load, entities: i % 5, actors: 10 + i }
    }
  })
}

describe('the dashboard at 30 members in a real browser', function () {
  this.timeout(120_000)
  const ours = useNodeProcess(['--role', 'all'])
  let browser: Browser | undefined
  let page: Page
  const problems: string[] = []
  let extra: Member[] = []

  before(async function () {
    const found = await findChromium()
    if ('missing' in found) {
      console.log(`      skipped: no Chromium for the dashboard tests: ${found.missing}`)
      this.skip()
    }
    browser = await chromium.launch({ executablePath: (found as { path: string }).path })
    page = await watchedPage(browser, problems, UI_TIMEOUT)
    // the node's answer as it comes, with the made-up members after its own
    await page.route('**/api/v1/cluster', async (route) => {
      const response = await route.fetch()
      const body = await response.json() as { members: Member[] }
      const self = body.members[0] as Member
      if (extra.length === 0) extra = madeUp(self, SIZE - body.members.length)
      await route.fulfill({ response, json: { ...body, members: [...body.members, ...extra] } })
    })
  })

  after(async () => {
    await browser?.close()
  })

  afterEach(function () {
    if (this.currentTest?.state === 'passed') expect(problems, 'CSP violations or errors in the page').to.deep.equal([])
  })

  it('should summarize the members by role and status, draw them in rows by role and list the ones that need a look first', async () => {
    await page.goto(`http://${ours.node.admin}/`)
    await page.getByLabel('Admin token').fill(ours.node.adminToken)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('member-count').filter({ hasText: String(SIZE) }).waitFor()

    // the summary: one row per role, each status counted, problems marked
    const summary = page.getByTestId('role-summary')
    const cell = async (role: string, status: string): Promise<string> => (await summary.locator(`tr[data-role="${role}"] td[data-status="${status}"]`).textContent()) ?? ''
    expect(await cell('storage', 'down')).to.equal('1')
    expect(await cell('storage', 'suspect')).to.equal('1')
    expect(await cell('ai', 'joining')).to.equal('1')
    // every role of the node itself (all) plus the made-up ones; chat: the node, 20 chat, 7 chat+storage
    expect(await summary.locator('tr[data-role="chat"] td').first().textContent()).to.equal('28')
    expect(await summary.locator('tr[data-role="storage"] td.cell-bad').count(), 'down and suspect marked').to.equal(2)

    // the picture: rows by role, no lines, every member drawn once, the ones not up named
    const topology = page.locator('figure.topology[data-layout="rows"]')
    await topology.waitFor()
    expect(await topology.locator('line').count(), 'no lines at this size').to.equal(0)
    expect(await topology.locator('g.member').count()).to.equal(SIZE)
    expect(await topology.locator('g.role-group').count()).to.equal(4)   // all's roles, chat, chat+storage, ai
    expect(await topology.locator('g.role-group[data-roles="chat, storage"] text.group-count-bad').textContent()).to.match(/^7 members, 2 not up: …\S+ down, …\S+ suspect$/)
    const size = await topology.locator('svg').boundingBox()
    expect(size?.height, 'the picture fits a screen').to.be.lessThan(900)

    // the table: members not up first, then the filter narrows it
    const rows = page.locator('table.members tbody tr')
    expect(await rows.count()).to.equal(SIZE)
    expect(await rows.nth(0).getAttribute('data-status')).to.equal('down')
    expect(await rows.nth(1).getAttribute('data-status')).to.equal('suspect')
    expect(await rows.nth(2).getAttribute('data-status')).to.equal('joining')
    await page.getByTestId('member-filter').fill('storage up')
    await page.getByTestId('member-shown').filter({ hasText: `6 of ${SIZE} shown` }).waitFor()   // 7 made-up storage members, 5 up, and the node itself
    expect(await rows.count()).to.equal(6)
    await page.getByTestId('member-filter').fill('')
    await page.getByTestId('member-shown').filter({ hasText: `${SIZE} of ${SIZE} shown` }).waitFor()

    const shots = process.env.PLEXI_DASHBOARD_SCREENSHOTS ?? await mkdtemp(join(tmpdir(), 'plexi-dashboard-'))
    console.log(`      screenshots: ${shots}`)
    await page.screenshot({ path: join(shots, 'cluster-30.png'), fullPage: true })
  })
})
