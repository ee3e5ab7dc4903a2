/**
 * The dashboard's Plugins view in a real Chromium, against a node's real admin endpoint (Fastify on
 * loopback) whose plugin registry runs real plugin processes (through the specs' launcher, until the
 * plugin host is on this branch): an admin installs a package from a file, sees it run on the node
 * with its calls, latency, restarts and the permissions it is granted, upgrades it, rolls it back,
 * reads its stderr lines, disables and enables it, and removes it; then the MCP servers registered
 * for the cluster (a real plugin host connecting server-memory), each member's connection, and
 * Remove. A CSP violation or an uncaught error in the page fails the test.
 */
import { expect } from 'chai'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { ADMIN_TOKEN } from '../helpers/admin-fixture.ts'
import { AdminCli } from '../helpers/admin-cli.ts'
import { findChromium, watchedPage } from '../helpers/chromium.ts'
import { lonePlugins } from '../helpers/lone-plugins.ts'
import type { LonePlugins } from '../helpers/lone-plugins.ts'
import { pluginPackage } from '../helpers/plugin-packages.ts'
import { loneServers } from '../helpers/lone-servers.ts'
import type { LoneServers } from '../helpers/lone-servers.ts'

/** What a registered server is given that the page may never show. */
const SECRET = 'sk-live-0123456789abcdef'

/** How long the page may take to show what a test waits for, on a busy 2-core machine. */
const UI_TIMEOUT = 30_000

describe('the dashboard\'s Plugins view in a real browser', function () {
  this.timeout(120_000)
  const node = new AdminCli()
  let plugins: LonePlugins
  let servers: LoneServers
  let browser: Browser | undefined
  let page: Page
  let shots = ''
  const problems: string[] = []

  before(async function () {
    this.timeout(10 * 60_000)   // an apt-get install of chromium, where it is missing
    const found = await findChromium()
    if ('missing' in found) {
      console.log(`      skipped: no Chromium for the dashboard tests: ${found.missing}`)
      this.skip()
    }
    this.timeout(120_000)
    await node.setup({ roles: ['chat', 'plugins'] })
    plugins = lonePlugins(node.fixture.system, node.fixture.dataDir)
    node.fixture.plugins = plugins.registry
    servers = await loneServers(node.fixture.system)
    node.fixture.mcpServers = servers.servers
    node.fixture.mcpServerStatus = servers.status
    await node.rebuild()
    browser = await chromium.launch({ executablePath: (found as { path: string }).path })
    page = await watchedPage(browser, problems, UI_TIMEOUT)
    shots = process.env.PLEXI_DASHBOARD_SCREENSHOTS ?? await mkdtemp(join(tmpdir(), 'plexi-dashboard-'))
    await page.goto(`http://${node.endpoint}/`)
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Plugins', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Plugins' }).waitFor()
  })

  after(async () => {
    await browser?.close()
    await servers?.close()
    await plugins?.close()
    await node.teardown()
  })

  afterEach(function () {
    if (this.currentTest?.state === 'passed') expect(problems, 'CSP violations or errors in the page').to.deep.equal([])
  })

  const card = () => page.locator('section.plugin[data-plugin="clock"]')
  const row = (state: string, version: string) => card().locator(`tr[data-node="${node.fixture.system.node}"][data-state="${state}"][data-version="${version}"]`)
  const installFile = async (version: string): Promise<void> => {
    const path = join(node.fixture.dataDir, `clock-${version}.tgz`)
    await writeFile(path, await pluginPackage(node.fixture.dataDir, { version }))
    await page.getByLabel('Package (.tgz)').setInputFiles(path)
    await page.getByRole('button', { name: 'Install', exact: true }).click()
  }

  it('should install a package from a file and show it running here, with its calls, latency, restarts and permissions', async () => {
    await page.getByText('No plugins installed.').waitFor()
    await installFile('1.0.0')
    await page.getByText('Installed clock 1.0.0: every plugins-role member starts it.').waitFor()
    await row('running', '1.0.0').waitFor()
    for (let i = 0; i < 3; i++) expect(await plugins.launcher.call('clock', 'echo', { text: String(i) })).to.equal(`1.0.0:${i}`)
    const cells = row('running', '1.0.0').locator('td')
    await expectCells(cells, { 2: '3', 3: '0', 5: '0' })
    expect(await cells.nth(4).textContent()).to.match(/^\d+\.\d ms$/)
    expect(await card().getByTestId('permissions').textContent()).to.equal('Permissions granted: env TZ; 64 MiB of memory')
    expect(await card().getAttribute('data-enabled')).to.equal('yes')
    await page.screenshot({ path: join(shots, 'plugins.png'), fullPage: true })
  })

  it('should upgrade to a version installed from a file, then roll back, the row following each swap', async () => {
    await installFile('1.1.0')
    await page.getByText('Stored clock 1.1.0: upgrade to it to run it (it runs 1.0.0).').waitFor()
    await card().getByLabel('Version to switch clock to').selectOption('1.1.0')
    await card().getByRole('button', { name: 'Switch clock to the chosen version' }).click()
    await row('running', '1.1.0').waitFor()
    expect(await plugins.launcher.call('clock', 'echo', { text: 'new' })).to.equal('1.1.0:new')
    await card().getByRole('button', { name: 'Roll clock back to 1.0.0' }).click()
    await row('running', '1.0.0').waitFor()
    await page.locator('section.plugin[data-plugin="clock"][data-active="1.0.0"]').waitFor()
    expect(await plugins.launcher.call('clock', 'echo', { text: 'old' })).to.equal('1.0.0:old')
  })

  it('should show its stderr lines, and stop it when disabled and start it when enabled', async () => {
    await card().getByRole('button', { name: 'Show the logs of clock' }).click()
    await card().locator('.plugin-logs .plugin-log-line', { hasText: 'clock 1.0.0 up' }).first().waitFor()
    await card().locator('.plugin-logs .plugin-log-line', { hasText: 'call echo' }).first().waitFor()
    await card().getByRole('button', { name: 'Disable clock' }).click()
    await page.locator('section.plugin[data-plugin="clock"][data-enabled="no"]').waitFor()
    await card().locator(`tr[data-node="${node.fixture.system.node}"][data-state="stopped"]`).waitFor()
    expect(plugins.launcher.running()).to.deep.equal([])
    await card().getByRole('button', { name: 'Enable clock' }).click()
    await row('running', '1.0.0').waitFor()
  })

  it('should remove it once the admin confirms, each step in the audit trail', async () => {
    await card().getByRole('button', { name: 'Remove clock' }).click()
    await page.getByRole('dialog', { name: 'Remove clock' }).getByRole('button', { name: 'Remove it' }).click()
    await page.getByText('No plugins installed.').waitFor()
    const audit = (await node.fixture.audit.list(0, 1_000)).filter((r) => r.target.startsWith('/api/v1/plugins')).map((r) => r.action)
    expect(audit).to.deep.equal([
      'POST /api/v1/plugins', 'POST /api/v1/plugins', 'POST /api/v1/plugins/:name/upgrade', 'POST /api/v1/plugins/:name/rollback',
      'POST /api/v1/plugins/:name/disable', 'POST /api/v1/plugins/:name/enable', 'DELETE /api/v1/plugins/:name'
    ])
  })

  it('should list the MCP servers registered, each member\'s connection and why one failed, no secret shown, and remove one once the admin confirms', async () => {
    const section = page.getByRole('region', { name: 'MCP servers' })
    await section.getByText('No MCP servers registered.').waitFor()
    await servers.servers.register(servers.memory('memory', { API_TOKEN: SECRET }))
    await servers.servers.register({ name: 'broken', description: 'not there', transport: { kind: 'stdio', command: '/no/such/server' } })
    const memory = section.locator(`tr[data-server="memory"][data-node="${node.fixture.system.node}"][data-state="up"]`)
    await memory.waitFor()
    expect(await memory.getByTestId('given').textContent()).to.equal('env MEMORY_FILE_PATH, env API_TOKEN')
    expect(Number(await memory.locator('td.num').first().textContent())).to.be.above(3)
    const broken = section.locator(`tr[data-server="broken"][data-state="failed"]`)
    await broken.waitFor()
    expect(await broken.locator('.job-error').textContent()).to.match(/no\/such\/server/)
    expect(await page.content()).to.not.include(SECRET)
    await page.screenshot({ path: join(shots, 'mcp-servers.png'), fullPage: true })
    await section.getByRole('button', { name: 'Remove the MCP server broken' }).click()
    await page.getByRole('dialog', { name: 'Remove broken' }).getByRole('button', { name: 'Remove it' }).click()
    await section.getByText('Removed broken: every member disconnects from it.').waitFor()
    await section.locator('tr[data-server="broken"]').waitFor({ state: 'detached' })
    expect((await servers.servers.list()).map((v) => v.name)).to.deep.equal(['memory'])
    const audit = (await node.fixture.audit.list(0, 1_000)).filter((r) => r.target.startsWith('/api/v1/mcp-servers')).map((r) => r.action)
    expect(audit).to.deep.equal(['DELETE /api/v1/mcp-servers/:name'])
  })

  /** Waits until the row's cells (by index among its tds) read these texts. */
  async function expectCells (cells: ReturnType<Page['locator']>, want: Record<number, string>): Promise<void> {
    for (const [i, text] of Object.entries(want)) await cells.nth(Number(i)).filter({ hasText: new RegExp(`^${text}$`) }).waitFor()
  }
})
