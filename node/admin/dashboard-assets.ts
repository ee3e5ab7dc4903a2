import type { FastifyReply } from 'fastify'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, realpath } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, extname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The dashboard's own files: plain browser modules, no build step. */
const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ui')

/** What the dashboard may be served as, by extension: nothing else under ui/ is served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png'
}

/** The libraries the dashboard imports, served from node_modules under fixed names (the import map
 * in index.html names them): [package, file in it]. No CDN: a node may have no internet. */
const VENDOR: Readonly<Record<string, readonly [string, string]>> = {
  'preact.mjs': ['preact', 'dist/preact.mjs'],
  'preact-hooks.mjs': ['preact', 'hooks/dist/hooks.mjs'],
  'htm.mjs': ['htm', 'dist/htm.mjs'],
  'uplot.mjs': ['uplot', 'dist/uPlot.esm.js'],
  'uplot.css': ['uplot', 'dist/uPlot.min.css'],
  // the chat page's agent answers: Markdown, then a kept sanitizer (node/web/ui/lib/markdown.js)
  'marked.mjs': ['marked', 'lib/marked.esm.js'],
  'purify.mjs': ['dompurify', 'dist/purify.es.mjs']
}

/** A path under /ui/: lower-case words, folders, one known extension; no dot segments. */
const UI_PATH = /^(?:[a-z0-9][a-z0-9_-]{0,63}\/){0,3}[a-z0-9][a-z0-9_.-]{0,63}\.(?:html|js|mjs|css|svg|png)$/i

export interface DashboardAsset {
  readonly body: Buffer
  readonly contentType: string
}

/**
 * The web dashboard's files, read once and kept (they are small), and its Content-Security-Policy:
 * scripts and styles only from this origin, and the one inline script, index.html's import map,
 * allowed by its hash. Nothing is fetched from elsewhere, nothing is evaluated, the page cannot be
 * framed, and forms cannot post anywhere.
 */
export class DashboardAssets {
  readonly #cache = new Map<string, Promise<DashboardAsset | undefined>>()
  readonly #dir: string
  #csp: Promise<string> | undefined

  /** @param dir the page's own files (default: the dashboard's ui/; the chat page's is node/web/ui),
   * served with the same vendored libraries under vendor/ */
  constructor (dir: string = UI_DIR) {
    this.#dir = dir
  }

  /** Files read and kept. */
  get cached (): number {
    return this.#cache.size
  }

  /** The page at `/`. */
  async index (): Promise<DashboardAsset> {
    const asset = await this.ui('index.html')
    if (asset === undefined) throw new Error(`the page's index.html is missing from ${this.#dir}`)
    return asset
  }

  /** A file of the dashboard by its path under /ui/ (`app.js`, `views/cluster.js`, `vendor/preact.mjs`);
   * undefined when there is no such file or the path is not one the dashboard serves. */
  async ui (path: string): Promise<DashboardAsset | undefined> {
    if (!UI_PATH.test(path) || path.split('/').some((part) => part.startsWith('.'))) return undefined
    let entry = this.#cache.get(path)
    if (entry === undefined) {
      entry = this.#read(path)
      this.#cache.set(path, entry)
      // only files are kept: anyone may ask for names that are none (the dashboard's files need no
      // token), and a cache of misses would grow with every name asked
      void entry.then((asset) => { if (asset === undefined) this.#cache.delete(path) }, () => { this.#cache.delete(path) })
    }
    return await entry
  }

  /** The Content-Security-Policy header of every dashboard response; `connect` adds origins the
   * page may call besides its own (the chat page: the cluster's other members, to fail over to). */
  async csp (connect: readonly string[] = []): Promise<string> {
    this.#csp ??= this.index().then((index) => contentSecurityPolicy(index.body.toString('utf8')))
    const policy = await this.#csp
    return connect.length === 0 ? policy : policy.replace("connect-src 'self'", `connect-src 'self' ${connect.join(' ')}`)
  }

  async #read (path: string): Promise<DashboardAsset | undefined> {
    const contentType = CONTENT_TYPES[extname(path).toLowerCase()]
    if (contentType === undefined) return undefined
    const file = path.startsWith('vendor/') ? vendorFile(path.slice('vendor/'.length)) : join(this.#dir, path)
    if (file === undefined) return undefined
    try {
      // a link under ui/ that leads out of it is not served
      const real = await realpath(file)
      if (!path.startsWith('vendor/') && !real.startsWith(await realpath(this.#dir) + sep)) return undefined
      return { body: await readFile(real), contentType }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined
      throw err
    }
  }
}

/** The file in node_modules that a vendor name stands for. */
function vendorFile (name: string): string | undefined {
  const entry = VENDOR[name]
  if (entry === undefined) return undefined
  const [pkg, file] = entry
  // the node_modules folders Node would look in, nearest first (a package's exports may not list
  // package.json, so it is found by its folder)
  const folders = createRequire(import.meta.url).resolve.paths(pkg) ?? []
  const dir = folders.map((folder) => join(folder, pkg)).find((d) => existsSync(join(d, 'package.json')))
  return dir === undefined ? undefined : join(dir, file)
}

/** The policy for a page whose only inline script is its import map (allowed by hash). */
export function contentSecurityPolicy (html: string): string {
  const inline = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].filter((m) => m[1] !== '')
  const hashes = inline.map((m) => `'sha256-${createHash('sha256').update(m[1] ?? '', 'utf8').digest('base64')}'`)
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}

/** Sends one of `assets`' files with the strict Content-Security-Policy (`connect`: origins it may
 * call besides its own, each a plain origin), never sniffed, framed or cached stale (the dashboard
 * and the chat page alike). */
export async function sendAsset (reply: FastifyReply, assets: DashboardAssets, asset: DashboardAsset, connect: readonly string[] = []): Promise<FastifyReply> {
  void reply
    .type(asset.contentType)
    .header('content-security-policy', await assets.csp(connect))
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    // the files change with the node's version: always revalidated, never served stale
    .header('cache-control', 'no-cache')
  return await reply.send(asset.body)
}
