import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'

/** Where Debian's `chromium` package puts the browser. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium'
/** apt-get update and install together may take this long on a slow mirror; past it the spec skips. */
const INSTALL_TIMEOUT_MS = 8 * 60_000

export type ChromiumLookup = { readonly path: string } | { readonly missing: string }

/**
 * A Chromium for the browser tests: `PLEXI_CHROMIUM` when set, else Debian's `/usr/bin/chromium`;
 * when that is missing and this process runs as root on a machine with apt-get, it installs the
 * `chromium` package first (bounded by INSTALL_TIMEOUT_MS). Otherwise `missing` says what to install.
 */
export async function findChromium (): Promise<ChromiumLookup> {
  const chosen = process.env.PLEXI_CHROMIUM
  if (chosen !== undefined && chosen !== '') {
    return existsSync(chosen) ? { path: chosen } : { missing: `PLEXI_CHROMIUM names ${chosen}, which does not exist` }
  }
  if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM }
  const install = 'install Debian\'s chromium package (apt-get install chromium) or set PLEXI_CHROMIUM to a Chromium binary'
  if (process.getuid?.() !== 0) return { missing: `${DEBIAN_CHROMIUM} is missing and this user is not root: ${install}` }
  if (!existsSync('/usr/bin/apt-get')) return { missing: `${DEBIAN_CHROMIUM} is missing and there is no apt-get here: ${install}` }
  const deadline = Date.now() + INSTALL_TIMEOUT_MS
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const result = await run('/usr/bin/apt-get', args, deadline - Date.now())
    if (result.code !== 0) return { missing: `apt-get ${args.join(' ')} failed (${result.code ?? 'timed out'}): ${result.tail.trim()}; ${install}` }
  }
  return existsSync(DEBIAN_CHROMIUM) ? { path: DEBIAN_CHROMIUM } : { missing: `apt-get installed chromium but ${DEBIAN_CHROMIUM} is still missing; ${install}` }
}

/** Runs a command to its end, or kills it after `timeout` ms (code null); keeps its output's last 2 KB. */
async function run (command: string, args: readonly string[], timeout: number): Promise<{ code: number | null, tail: string }> {
  if (timeout <= 0) return { code: null, tail: 'no time left' }
  return await new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    let tail = ''
    const keep = (chunk: Buffer): void => { tail = (tail + chunk.toString()).slice(-2048) }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeout)
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ code: null, tail: err.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, tail })
    })
  })
}

/**
 * A page of its own context (1280×900, every wait bounded by `timeout` ms) whose uncaught errors and
 * Content-Security-Policy refusals are pushed to `problems` (a dashboard spec fails on any).
 */
export async function watchedPage (browser: Browser, problems: string[], timeout: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(timeout)
  const page = await context.newPage()
  page.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
  page.on('console', (msg) => { if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`) })
  return page
}
