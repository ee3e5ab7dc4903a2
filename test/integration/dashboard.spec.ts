/**
 * The admin web dashboard (issue 17) in a real Chromium, against real node processes: an admin signs
 * in with the token, sees the three members and the mesh, watches live metrics and log lines,
 * migrates a room, loads a model, backs up and restores a room, drains a member and follows the job,
 * uses it at phone width, and is told plainly when the token is wrong. Everything the page does goes
 * through the documented /api/v1 routes under the page's strict Content-Security-Policy; a violation
 * or an uncaught error in the page fails the test.
 */
import { expect } from 'chai'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { findChromium } from '../helpers/chromium.ts'
import { chatClient, runCli } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { ModelServer } from '../helpers/model-server.ts'
import { writeTinyModel } from '../../runtimes/index.ts'

/** Tests run llama.cpp on the CPU with one thread (docs/models.md). */
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '16']
const MODEL = 'plexi-tiny-f16'
/** How long the page may take to show what a test waits for, on a busy 2-core machine. */
const UI_TIMEOUT = 30_000
/** How long a job (a backup, a restore, a drain) may take to end there. */
const JOB_TIMEOUT = 60_000

/** The little of the browser's globals that functions run in the page read (this project's
 * TypeScript has no DOM types; these are declared for this module only). */
interface PageElement {
  readonly textContent: string | null
  readonly outerHTML: string
  readonly labels?: { readonly length: number } | null
  readonly clientWidth: number
  readonly scrollWidth: number
  /** The text as drawn (CSS text-transform applied), where textContent is the text as written. */
  readonly innerText?: string
  getAttribute (name: string): string | null
  closest (selector: string): PageElement | null
}
declare const document: {
  querySelector (selector: string): PageElement | null
  querySelectorAll (selector: string): Iterable<PageElement>
  readonly documentElement: PageElement
  readonly cookie: string
}
declare const sessionStorage: { getItem (key: string): string | null, setItem (key: string, value: string): void }
declare const localStorage: { readonly length: number }
declare const window: { scrollTo (x: number, y: number): void }
declare const navigator: { readonly clipboard: { readText (): Promise<string> } }
declare function getComputedStyle (e: PageElement): { readonly textTransform: string, readonly textAlign: string }

/** The admin token the page keeps in its tab (sessionStorage), or null. */
const tokenKept = async (page: Page): Promise<string | null> => await page.evaluate(() => sessionStorage.getItem('plexi-admin-token'))

describe('the admin dashboard in a real browser', function () {
  this.timeout(120_000)
  const cluster = new ProcessCluster()
  let keys: { path: string, remove: () => Promise<void> } | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let page: Page
  let shots = ''
  /** CSP violations and uncaught errors seen in any page. */
  const problems: string[] = []
  let a: NodeSlot
  let b: NodeSlot
  let c: NodeSlot
  let userToken = ''
  /** Rooms placement gives to B and to C (active there once posted to). */
  const rooms = { onB: [] as string[], onC: [] as string[] }

  before(async function () {
    this.timeout(10 * 60_000)   // an apt-get install of chromium, where it is missing
    const found = await findChromium()
    if ('missing' in found) {
      console.log(`      skipped: no Chromium for the dashboard tests: ${found.missing}`)
      this.skip()
    }
    this.timeout(120_000)
    const executablePath = (found as { path: string }).path
    keys = await tempDir()
    const made = await runCli(['backup', 'keygen', '--out', join(keys.path, 'backup.key')])
    expect(made.code, made.stderr).to.equal(0)
    const storage = 'chat,storage,backup'
    await Promise.all([
      cluster.start([{ roles: 'all', args: ['--backup-key-file', join(keys.path, 'backup.key'), ...INFERENCE] }, storage, storage]),
      chromium.launch({ executablePath }).then((launched) => { browser = launched })
    ])
    ;[a, b, c] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    userToken = await cluster.addUser('ann', a)
    for (let i = 0; i < 3; i++) rooms.onB.push(await cluster.keyOwnedBy(a, 'room', 'chat', b, `b${i}-`))
    for (let i = 0; i < 2; i++) rooms.onC.push(await cluster.keyOwnedBy(a, 'room', 'chat', c, `c${i}-`))
    const chat = chatClient(a.node.grpc, userToken)
    try {
      for (const room of [...rooms.onB, ...rooms.onC]) {
        for (let i = 0; i < 3; i++) await chat.call('Post', { room, text: `${room} post ${i}` })
      }
    } finally {
      chat.close()
    }
    // PLEXI_DASHBOARD_SCREENSHOTS=DIR puts them there instead (docs/images is made so)
    shots = process.env.PLEXI_DASHBOARD_SCREENSHOTS ?? await mkdtemp(join(tmpdir(), 'plexi-dashboard-'))
    console.log(`      screenshots: ${shots}`)
    context = await newContext({ width: 1280, height: 900 })
    page = await context.newPage()
  })

  after(async () => {
    await browser?.close()
    await cluster.close()
    await keys?.remove()
  })

  afterEach(function () {
    if (this.currentTest?.state === 'passed') expect(problems, 'CSP violations or errors in the page').to.deep.equal([])
  })

  async function newContext (viewport: { width: number, height: number }): Promise<BrowserContext> {
    if (browser === undefined) throw new Error('the browser starts in before()')
    const ctx = await browser.newContext({ viewport })
    ctx.setDefaultTimeout(UI_TIMEOUT)
    ctx.on('page', (p) => {
      p.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
      p.on('console', (msg) => { if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`) })
    })
    return ctx
  }

  const shoot = async (name: string, on: Page = page): Promise<void> => {
    // from the top, so that the sticky header is where it belongs in the picture of the whole page
    await on.evaluate(() => { window.scrollTo(0, 0) })
    await on.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  }
  const view = async (name: string, on: Page = page): Promise<void> => {
    await on.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true }).click()
    await on.getByRole('heading', { level: 1, name }).waitFor()
  }
  /** The job card of the dock (jobs started from this page) whose id starts with `kind-`, once it ended as `state`. */
  const dockJob = (kind: string, state: string, on: Page = page) => on.locator(`.job-dock [data-job^="${kind}-"][data-state="${state}"]`)
  const history = async (room: string): Promise<string[]> => (await cluster.history(a, room, userToken)).map((m) => `${m.seq}:${m.text}`)

  async function signIn (on: Page, token: string): Promise<void> {
    await on.goto(`http://${a.node.admin}/`)
    await on.getByLabel('Admin token').fill(token)
    await on.getByRole('button', { name: 'Sign in' }).click()
  }

  it('should sign in with the admin token and show the 3 members up, with the mesh between them', async () => {
    await signIn(page, a.node.adminToken)
    const members = page.locator('table.members tbody tr')
    await page.locator('table.members tbody tr[data-status="up"]').nth(2).waitFor()
    expect(await members.count()).to.equal(3)
    for (const slot of [a, b, c]) {
      await members.locator(`[data-peer="${slot.peerId}"]`).first().waitFor()
      await page.locator(`.topology g.member[data-peer="${slot.peerId}"]`).waitFor()
    }
    expect(await page.locator('.topology line.edge').count(), 'every pair of members up is linked').to.equal(3)
    expect(await page.getByTestId('member-count').textContent()).to.equal('3')
    // three storage nodes up, a write needs two of a partition's three replicas
    expect(await page.getByTestId('writes').getAttribute('data-available')).to.equal('true')
    expect(await page.getByTestId('writes').textContent()).to.include('writes: 3 of 3 storage up, 2 needed')
    // the token stays in this tab: not in the URL, not in a cookie
    expect(page.url()).not.to.include(a.node.adminToken)
    expect(await tokenKept(page)).to.equal(a.node.adminToken)
    expect(await page.evaluate(() => [document.cookie, localStorage.length])).to.deep.equal(['', 0])
    await shoot('cluster')
  })

  it('should show live metrics: samples keep coming, and posts made now show in the rate', async () => {
    await view('Metrics')
    await page.locator('[data-stream-state="live"]').waitFor()
    const samples = page.locator('[data-samples]')
    await page.waitForFunction(() => Number(document.querySelector('[data-samples]')?.getAttribute('data-samples')) > 0)
    const first = Number(await samples.getAttribute('data-samples'))
    expect(await page.locator('.chart canvas').count(), 'four charts').to.equal(4)
    const chat = chatClient(a.node.grpc, userToken)
    let stop = false
    // posts until the page shows a rate above 0 (bounded: 20,000 posts, far more than it takes)
    const posting = (async () => {
      for (let i = 0; !stop && i < 20_000; i++) await chat.call('Post', { room: rooms.onC[0], text: `metrics ${i}` })
    })()
    try {
      // a sample that came after the first ones (300 is as many as the page keeps), with posts in it
      await page.waitForFunction((before) => {
        const shown = Number(document.querySelector('[data-samples]')?.getAttribute('data-samples'))
        return (shown > before || shown === 300) && Number(document.querySelector('[data-metric="postsPerSec"] .stat-value')?.textContent) > 0
      }, first)
    } finally {
      stop = true
      await posting
      chat.close()
    }
    await shoot('metrics')
  })

  it('should tail the log live: a line logged now appears, and the level filter narrows it', async () => {
    await view('Logs')
    await page.locator('[data-stream-state="live"]').waitFor()
    await page.locator('.log-line').first().waitFor()
    // a room moved here as an admin asked: this node logs it at info
    const room = rooms.onC[1] as string
    expect(await page.locator('.log-line', { hasText: `room/${room} moved here` }).count()).to.equal(0)
    await cluster.api(a, `/actors/room/${room}/migrate`, { method: 'POST', body: { to: a.peerId } })
    await page.locator('.log-line', { hasText: `room/${room} moved here` }).waitFor()
    await page.getByLabel('Lowest level').selectOption('error')
    await page.waitForFunction(() => [...document.querySelectorAll('.log-line')].every((l) => ['error', 'fatal'].includes(l.getAttribute('data-level') ?? '')))
    await page.getByLabel('Lowest level').selectOption('info')
    await page.locator('.log-line', { hasText: `room/${room} moved here` }).waitFor()
    await shoot('logs')
  })

  it('should migrate one room to another member from the Actors view and show it there', async () => {
    const room = rooms.onB[0] as string
    await view('Actors')
    await page.getByLabel('Search keys and paths').fill(room)
    await page.getByRole('button', { name: `Details of room/${room}` }).click()
    const detail = page.locator(`.entity-detail[data-entity="room/${room}"]`)
    await detail.getByTestId('entity-node').locator(`[data-peer="${b.peerId}"]`).waitFor()
    // its journal's partition and that partition's three replicas (every member holds storage)
    await detail.locator('[data-testid="entity-replicas"] tbody tr').nth(2).waitFor()
    const replicas = await detail.locator('[data-testid="entity-replicas"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-peer')))
    expect([...replicas].sort()).to.deep.equal([a.peerId, b.peerId, c.peerId].sort())
    expect(Number(await detail.getByTestId('entity-partition').textContent())).to.be.at.least(0)
    await detail.getByLabel('Move it to').selectOption(c.peerId)
    await detail.getByRole('button', { name: 'Migrate' }).click()
    await dockJob('migrate', 'done').waitFor({ timeout: JOB_TIMEOUT })
    await detail.getByTestId('entity-node').locator(`[data-peer="${c.peerId}"]`).waitFor()
    await page.locator(`table.actors tr[data-entity="room/${room}"][data-node="${c.peerId}"]`).waitFor()
    expect((await cluster.api<{ node: string }>(a, `/actors/room/${room}`)).node).to.equal(c.peerId)
    await shoot('actors-migrated')
    // the room's export, downloaded from its detail: the file the browser saves is the whole room
    const [download] = await Promise.all([page.waitForEvent('download'), detail.getByRole('button', { name: `Export room/${room} as JSON` }).click()])
    expect(download.suggestedFilename()).to.equal(`room-${room}.json`)
    const exported = JSON.parse(await readFile(await download.path(), 'utf8')) as { format: string, name: string, records: Array<{ text?: string }> }
    expect([exported.format, exported.name]).to.deep.equal(['plexi-export/1', room])
    expect(exported.records.map((r) => r.text).filter((t) => t !== undefined)).to.deep.equal((await history(room)).map((m) => m.slice(m.indexOf(':') + 1)))
  })

  it('should load a model from the Models view and list this node where it is loaded', async () => {
    await view('Models')
    const row = page.locator(`tr[data-model="${MODEL}"]`)
    await row.waitFor()
    expect(await row.getAttribute('data-loaded-here')).to.equal('no')
    await row.getByRole('button', { name: `Load ${MODEL}` }).click()
    await page.locator(`tr[data-model="${MODEL}"][data-loaded-here="yes"]`).waitFor({ timeout: JOB_TIMEOUT })
    await page.getByText(`${MODEL} is loaded on this node.`).waitFor()
    await row.locator(`.loaded-on [data-peer="${a.peerId}"]`).waitFor()
    const models = await cluster.api<Array<{ name: string, loaded: string[] }>>(a, '/models')
    expect(models.find((m) => m.name === MODEL)?.loaded).to.include(a.peerId)
    await shoot('models')
  })

  it('should pull a model from the Models view, follow its job in the dock, and list the model', async () => {
    const server = new ModelServer()
    const base = await server.listen()
    const files = await tempDir('plexi-dashboard-pull-')
    try {
      await writeTinyModel(join(files.path, 'served'), { seed: 21 })
      await server.serveFile('dash-pulled.gguf', join(files.path, 'served'))
      await view('Models')
      await page.getByLabel('Pull a model (URL, or hf:OWNER/REPO/FILE.gguf)').fill(`${base}/files/dash-pulled.gguf`)
      await page.getByRole('button', { name: 'Pull', exact: true }).click()
      await dockJob('pull', 'done').waitFor({ timeout: JOB_TIMEOUT })
      await page.locator('tr[data-model="dash-pulled"]').waitFor({ timeout: UI_TIMEOUT })
      expect((await cluster.api<Array<{ name: string, status: string }>>(a, '/models')).find((m) => m.name === 'dash-pulled')?.status).to.equal('ready')
    } finally {
      await server.close()
      await files.remove()
    }
  })

  it('should start a repair of one partition from the Replication view and follow it to done', async () => {
    await view('Replication')
    await page.locator('table.partitions tr[data-partition="0"]').waitFor()
    await page.getByLabel('Partition to repair (empty: every one)').fill('0')
    await page.getByRole('button', { name: 'Start a repair' }).click()
    await dockJob('repair', 'done').waitFor({ timeout: JOB_TIMEOUT })
    expect(await dockJob('repair', 'done').locator('.progress-text').textContent()).to.equal('1 of 1')
  })

  it('should count each node\'s replicas by state in the Replication view and page the partitions, peer ids keeping their case in table headers', async () => {
    await view('Replication')
    const nodes = page.locator('table.replica-nodes tbody tr')
    await nodes.nth(2).waitFor()
    expect([...await nodes.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-peer')))].sort()).to.deep.equal([a.peerId, b.peerId, c.peerId].sort())
    const partitions = await cluster.api<Array<{ partition: number }>>(a, '/partitions?limit=1000')
    expect(partitions.length).to.be.greaterThan(50)
    const pager = page.getByRole('navigation', { name: 'Pages of partitions' })
    await pager.getByRole('status').filter({ hasText: `1–25 of ${partitions.length}` }).waitFor()
    expect(await page.locator('table.partitions tbody tr').count()).to.equal(25)
    await pager.getByRole('button', { name: 'Next' }).click()
    await pager.getByRole('status').filter({ hasText: `26–50 of ${partitions.length}` }).waitFor()
    expect(await page.locator('table.partitions tbody tr').count()).to.equal(25)
    await pager.getByRole('button', { name: 'Previous' }).click()
    await pager.getByRole('status').filter({ hasText: `1–25 of ${partitions.length}` }).waitFor()
    await shoot('replication')
    // a header's peer id as it is (base58 is case-sensitive), not upper-cased with the header's words
    await view('Actors')
    const header = page.locator('table.pivot thead th .peer code').first()
    await header.waitFor()
    const shown = await header.evaluate((e: PageElement) => [e.innerText, e.textContent, getComputedStyle(e).textTransform])
    expect(shown[0]).to.equal(shown[1])
    expect(shown[2]).to.equal('none')
    expect(await page.locator('table.pivot thead th').nth(1).evaluate((e: PageElement) => getComputedStyle(e).textAlign), 'a node\'s count lines up under its header').to.equal('right')
  })

  it('should find posts made on every member from the Search view, each hit ROOM#SEQ with its match marked', async () => {
    await view('Search')
    await page.getByLabel('Words').fill('post')
    await page.getByLabel('Rooms (comma-separated)').fill(rooms.onC[0] as string)
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    const status = page.locator('p[role="status"][data-partial]')
    await status.filter({ hasText: '3 hits' }).waitFor({ timeout: UI_TIMEOUT })
    expect(await status.getAttribute('data-partial')).to.equal('no')
    const hits = page.locator('table.search-hits tbody tr')
    expect(await hits.count()).to.equal(3)
    expect(await hits.first().locator('mark').textContent()).to.equal('post')
    expect(await hits.first().getAttribute('data-hit')).to.match(new RegExp(`^room/${rooms.onC[0] as string}#\\d+$`))
    await shoot('search')
  })

  it('should add a user, showing the token once with a copy button, and remove the user, in the Users view', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://${a.node.admin}` })
    await view('Users')
    await page.getByLabel('New user\'s name').fill('dash-user')
    await page.getByRole('button', { name: 'Add user' }).click()
    const shown = page.getByRole('textbox', { name: 'Token of dash-user', exact: true })
    await shown.waitFor()
    const token = await shown.inputValue()
    await page.getByRole('button', { name: 'Copy the token of dash-user' }).click()
    await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor()
    expect(await page.evaluate(async () => await navigator.clipboard.readText())).to.equal(token)
    // the token shown is the user's: it opens the chat API
    const chat = chatClient(a.node.grpc, token)
    try {
      await chat.call('ListRooms', {})
    } finally {
      chat.close()
    }
    await page.getByRole('button', { name: 'Done, hide it' }).click()
    expect(await shown.count(), 'the token is shown once').to.equal(0)
    await page.getByRole('button', { name: 'Remove dash-user' }).click()
    await page.getByRole('dialog', { name: 'Remove dash-user' }).getByRole('button', { name: 'Remove', exact: true }).click()
    await page.getByText('Removed dash-user; their token no longer works.').waitFor()
    await page.locator('table.users tr[data-user="dash-user"]').waitFor({ state: 'detached' })
    expect((await cluster.api<Array<{ name: string }>>(a, '/users')).map((u) => u.name)).not.to.include('dash-user')
  })

  it('should create a backup and restore one room from it in the Backups view, each job\'s progress reaching done', async () => {
    const room = rooms.onC[0] as string
    await view('Backups')
    await page.getByLabel('Note (optional)').fill('from the dashboard')
    await page.getByRole('button', { name: 'Create a backup' }).click()
    await dockJob('backup', 'done').waitFor({ timeout: JOB_TIMEOUT })
    const backupRow = page.locator('table.backups tr[data-state="done"]', { hasText: 'from the dashboard' })
    await backupRow.waitFor()
    const id = await backupRow.getAttribute('data-backup') as string
    expect(id).to.match(/^bk-/)
    const before = await history(room)
    const chat = chatClient(a.node.grpc, userToken)
    try {
      await chat.call('Post', { room, text: 'written after the backup' })
    } finally {
      chat.close()
    }
    expect(await history(room)).to.have.length(before.length + 1)

    await page.getByRole('button', { name: `Restore ${id}` }).click()
    const form = page.locator('form.restore-form')
    await form.getByLabel('one room').check()
    await form.getByLabel('Room', { exact: true }).fill(room)
    await form.getByRole('button', { name: 'Restore', exact: true }).click()
    await page.getByRole('dialog', { name: 'Restore from a backup' }).getByRole('button', { name: 'Restore it' }).click()
    const restoreJob = dockJob('restore', 'done')
    await restoreJob.waitFor({ timeout: JOB_TIMEOUT })
    expect(await restoreJob.locator('progress').getAttribute('value')).to.equal(await restoreJob.locator('progress').getAttribute('max'))
    await page.locator(`table.restores tr[data-state="done"]`, { hasText: `room ${room}` }).waitFor()
    expect(await history(room), 'the room as it was in the backup').to.deep.equal(before)
    await shoot('backups-restored')
  })

  it('should drain a member from the Cluster view, its entities moving to the others and the job ending done in the Jobs view', async () => {
    const actors = await cluster.api<Array<{ key: string | null, node: string, kind: string }>>(a, '/actors?limit=1000')
    const onB = actors.filter((r) => r.key !== null && r.node === b.peerId && r.kind === 'room').map((r) => r.key as string)
    expect(onB, 'rooms active on B before the drain').to.include.members(rooms.onB.slice(1))
    await view('Cluster')
    await page.getByRole('button', { name: `Drain ${b.peerId}` }).click()
    await page.getByRole('dialog', { name: `Drain ${b.peerId}` }).getByRole('button', { name: 'Drain it' }).click()
    await view('Jobs')
    await page.locator('.job-list [data-job^="drain-"][data-state="done"]').waitFor({ timeout: JOB_TIMEOUT })
    await shoot('jobs-drained')
    await view('Actors')
    for (const room of onB) {
      await page.waitForFunction(([selector, gone]) => {
        const row = document.querySelector(selector)
        return row !== null && row.getAttribute('data-node') !== gone
      }, [`table.actors tr[data-entity="room/${room}"]`, b.peerId] as const)
    }
    expect(await page.locator(`table.actors tr[data-node="${b.peerId}"]`).count(), 'nothing left on the drained member').to.equal(0)
    await view('Cluster')
    await page.locator(`table.members tr[data-peer="${b.peerId}"][data-status="down"]`).waitFor()
    await shoot('cluster-drained')
    // the Replication view puts what is wrong first: the stopped member's row, and the partitions
    // with a replica on it
    await view('Replication')
    await page.locator(`table.replica-nodes tbody tr:first-child[data-peer="${b.peerId}"].row-trouble`).waitFor()
    expect(Number(await page.locator(`table.replica-nodes tr[data-peer="${b.peerId}"] [data-testid="not-up"]`).textContent())).to.be.greaterThan(0)
    await page.getByRole('navigation', { name: 'Pages of partitions' }).getByRole('status').filter({ hasText: 'those with a replica behind or not up first' }).waitFor()
    expect(await page.locator('table.partitions tbody tr').first().locator('li.replica:not(.replica-up)').count()).to.be.greaterThan(0)
  })

  it('should name every control of every view: a label on each field, a name on each button', async () => {
    for (const name of ['Cluster', 'Search', 'Actors', 'Replication', 'Metrics', 'Models', 'Jobs', 'Backups', 'Users', 'Logs', 'Audit']) {
      await view(name)
      const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((e) => (e.labels?.length ?? 0) === 0 && e.getAttribute('aria-label') === null && e.getAttribute('aria-labelledby') === null &&
          (e.outerHTML.startsWith('<button') ? (e.textContent ?? '').trim() === '' : true))
        .map((e) => e.outerHTML.slice(0, 120)))
      expect(unnamed, `controls without a name in the ${name} view`).to.deep.equal([])
    }
  })

  it('should fit a phone-width screen: the menu folds away and wide tables scroll inside their box', async () => {
    const phone = await (await newContext({ width: 375, height: 800 })).newPage()
    try {
      await signIn(phone, a.node.adminToken)
      const nav = phone.getByRole('navigation', { name: 'Views' })
      await phone.locator('table.members tbody tr').first().waitFor()
      expect(await nav.isVisible(), 'the menu is folded').to.equal(false)
      await phone.getByRole('button', { name: 'Open the menu' }).click()
      await nav.waitFor({ state: 'visible' })
      await shoot('cluster-phone-menu', phone)
      await nav.getByRole('link', { name: 'Cluster', exact: true }).click()
      await nav.waitFor({ state: 'hidden' })
      const widths = await phone.evaluate(() => {
        const wrap = document.querySelector('table.members')?.closest('.table-wrap')
        return { page: document.documentElement.scrollWidth, wrap: wrap?.clientWidth ?? 0, table: wrap?.scrollWidth ?? 0 }
      })
      expect(widths.page, 'the page itself does not scroll sideways').to.be.at.most(375)
      expect(widths.table, 'the members table scrolls inside its box').to.be.greaterThan(widths.wrap)
      await shoot('cluster-phone', phone)
      await phone.getByRole('button', { name: 'Open the menu' }).click()
      await nav.getByRole('link', { name: 'Actors', exact: true }).click()
      await phone.locator('table.actors tbody tr').first().waitFor()
      expect(await phone.evaluate(() => document.documentElement.scrollWidth), 'nor does the Actors view').to.be.at.most(375)
    } finally {
      await phone.context().close()
    }
  })

  it('should refuse a wrong token with a clear error, and sign out when a kept token stops working', async () => {
    const other = await (await newContext({ width: 1280, height: 900 })).newPage()
    try {
      await signIn(other, 'plxa_not-the-token')
      await other.getByRole('alert').filter({ hasText: 'The admin token was refused' }).waitFor()
      expect(await other.getByLabel('Admin token').isVisible()).to.equal(true)
      expect(await tokenKept(other)).to.equal(null)
      await shoot('sign-in-refused', other)
      // a token kept in the tab that the node no longer takes: back to sign-in, saying why
      await other.evaluate(() => { sessionStorage.setItem('plexi-admin-token', 'plxa_revoked') })
      await other.reload()
      await other.getByRole('alert').filter({ hasText: 'The admin token was refused' }).waitFor()
      expect(await tokenKept(other)).to.equal(null)
    } finally {
      await other.context().close()
    }
    // and the signed-in page signs out on request
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Admin token').waitFor()
    expect(await tokenKept(page)).to.equal(null)
  })

  it('should have put every action taken in the dashboard, and the refused tokens, in the cluster\'s audit trail, whole when read on another member', async () => {
    // A served every page; C reads the trail (an entity journal replicated like any other)
    const listed = await runCli(['admin', 'audit', '--json', '--limit', '1000', '--admin-addr', c.node.admin, '--data-dir', c.dir])
    expect(listed.code, listed.stderr).to.equal(0)
    const trail = JSON.parse(listed.stdout) as Array<{ actor: string, node: string, action: string, outcome: string, detail: string }>
    const onA = trail.filter((r) => r.node === a.peerId)
    const actions = new Set(onA.filter((r) => r.actor === 'admin' && r.outcome === 'ok').map((r) => r.action))
    expect([...actions]).to.include.members([
      'POST /api/v1/actors/:type/:key/migrate', 'POST /api/v1/models/:name/load', 'POST /api/v1/models/pull', 'POST /api/v1/repairs', 'POST /api/v1/users', 'DELETE /api/v1/users/:name',
      'POST /api/v1/backups', 'POST /api/v1/backups/:id/restore', 'POST /api/v1/nodes/:peerId/drain'
    ])
    expect(onA.some((r) => r.actor === 'unauthenticated' && r.outcome === 'refused'), 'the wrong token tried').to.equal(true)
    expect(listed.stdout, 'no token in the trail').to.not.match(/plxu_|plxa_not-the-token/)
    const verified = await runCli(['admin', 'audit', 'verify', '--admin-addr', c.node.admin, '--data-dir', c.dir])
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0)
    expect(verified.stdout).to.match(/^audit trail whole: \d+ records, each following the one before; head [0-9a-f]{64}\n$/)
    // and the dashboard's Audit view shows it and proves it whole (signed in again: the test before signed out)
    await signIn(page, a.node.adminToken)
    await view('Audit')
    await page.locator('table.audit tbody tr', { hasText: 'POST /api/v1/nodes/:peerId/drain' }).waitFor()
    await page.locator('table.audit tbody tr[data-outcome="refused"]').first().waitFor()
    await page.getByRole('button', { name: 'Verify the chain' }).click()
    await page.locator('[data-verdict="whole"]').waitFor()
    await shoot('audit')
  })
})
