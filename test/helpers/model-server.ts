import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** How the server answers one file. */
export interface ServedFile {
  readonly bytes: Buffer
  /** Published as Hugging Face does, on the hub's redirect (X-Linked-ETag). @default its own SHA-256 */
  readonly publishedSha256?: string
  /** The first this-many requests send `stallAfter` bytes, then nothing more until breakOff() or
   * close() (a stall; a break-off once the client has the bytes; a pull cancelled mid-way). */
  stalls?: number
  readonly stallAfter?: number
}

/** A request the server saw. */
export interface SeenRequest { readonly method: string, readonly path: string, readonly range: string | undefined, readonly auth: string | undefined }

/**
 * A local HTTP server of model files for pull tests (no test reaches the internet): `/files/NAME`
 * with Range requests and an ETag, and the hub's form `/OWNER/REPO/resolve/REV/NAME`, which
 * redirects there with X-Linked-ETag and X-Linked-Size like Hugging Face. Files can be made to
 * stall, and stalled answers to break off when the test says (once the client has their bytes); every request and every body byte sent is counted.
 */
export class ModelServer {
  readonly files = new Map<string, ServedFile>()
  readonly seen: SeenRequest[] = []
  /** Body bytes sent of /files/… answers. */
  bytesSent = 0
  readonly #server: Server
  readonly #open = new Set<ServerResponse>()

  constructor () {
    this.#server = createServer((req, res) => { this.#answer(req.method ?? 'GET', req.url ?? '/', req.headers, res) })
  }

  async listen (): Promise<string> {
    await new Promise<void>((resolve) => { this.#server.listen(0, '127.0.0.1', resolve) })
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async serveFile (name: string, path: string, options: Omit<ServedFile, 'bytes'> = {}): Promise<string> {
    const bytes = await readFile(path)
    this.files.set(name, { bytes, ...options })
    return createHash('sha256').update(bytes).digest('hex')
  }

  /** Breaks off every stalled answer: its connection is destroyed (what a client has of it stays). */
  breakOff (): void {
    for (const res of this.#open) res.destroy()
  }

  async close (): Promise<void> {
    for (const res of this.#open) res.destroy()
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
  }

  #answer (method: string, url: string, headers: Record<string, string | string[] | undefined>, res: ServerResponse): void {
    const path = decodeURIComponent(url.split('?')[0] ?? '/')
    const range = typeof headers.range === 'string' ? headers.range : undefined
    this.seen.push({ method, path, range, auth: typeof headers.authorization === 'string' ? headers.authorization : undefined })
    const hub = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path)
    if (hub !== null) {
      const file = this.files.get(hub[4] as string)
      if (file === undefined) return void res.writeHead(404).end('Entry not found')
      const sha = file.publishedSha256 ?? createHash('sha256').update(file.bytes).digest('hex')
      res.writeHead(302, { location: `/files/${encodeURIComponent(hub[4] as string)}`, 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(file.bytes.length) }).end()
      return
    }
    const file = path.startsWith('/files/') ? this.files.get(path.slice('/files/'.length)) : undefined
    if (file === undefined) return void res.writeHead(404).end('no such file')
    this.#send(method, file, range, headers['if-range'], res)
  }

  #send (method: string, file: ServedFile, range: string | undefined, ifRange: unknown, res: ServerResponse): void {
    const etag = `"${createHash('sha256').update(file.bytes).digest('hex').slice(0, 16)}"`
    const size = file.bytes.length
    let start = 0
    const asked = range === undefined || (ifRange !== undefined && ifRange !== etag) ? undefined : /^bytes=(\d+)-$/.exec(range)
    if (asked != null) {
      start = Number(asked[1])
      if (start >= size) return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end()
      res.writeHead(206, { 'content-length': String(size - start), 'content-range': `bytes ${start}-${size - 1}/${size}`, etag, 'accept-ranges': 'bytes' })
    } else {
      res.writeHead(200, { 'content-length': String(size), etag, 'accept-ranges': 'bytes' })
    }
    if (method === 'HEAD') return void res.end()
    let body = file.bytes.subarray(start)
    if ((file.stalls ?? 0) > 0 && file.stallAfter !== undefined) {
      file.stalls = (file.stalls ?? 0) - 1
      body = body.subarray(0, file.stallAfter)
      this.bytesSent += body.length
      this.#open.add(res)
      res.on('close', () => { this.#open.delete(res) })
      res.write(body)
      return
    }
    this.bytesSent += body.length
    res.end(body)
  }
}
