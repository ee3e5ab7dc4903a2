import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DOWNLOAD_RETRY_MAX_MS, DOWNLOAD_RETRY_MS, DOWNLOAD_STALL_MS, DOWNLOAD_TRIES, FREE_MARGIN_BYTES, MAX_REDIRECTS } from './constants.ts'
import { ModelPullError } from './errors.ts'

export interface DownloadOptions {
  readonly url: string
  /** The partial file: what a download that broke off left there is resumed (when it came from the
   * same URL and the server's file did not change). */
  readonly file: string
  /** Sent to the URL's own origin only, never to another a redirect leads to (a hub's token). */
  readonly headers?: Readonly<Record<string, string>>
  readonly signal: AbortSignal
  /** Bytes in the partial file so far, and the whole file's size once known. */
  readonly onProgress?: (received: number, total: number | undefined) => void
  /** Bytes that came over the network (each chunk as it arrives). */
  readonly onReceived?: (bytes: number) => void
  /** The wait before the second try, doubling for each after it. @default DOWNLOAD_RETRY_MS */
  readonly retryMs?: number
  /** A break-off that will be tried again, and why. */
  readonly onRetry?: (attempt: number, why: string) => void
}

export interface Downloaded {
  readonly sizeBytes: number
  readonly sha256: string
  /** The SHA-256 the server published for the file (Hugging Face's X-Linked-ETag, or a
   * Repr-Digest or Digest header), when it did. */
  readonly publishedSha256: string | undefined
  /** Where the last request resumed: bytes that were there already from a download (or a try)
   * that broke off; 0 when it started from the first byte. */
  readonly resumedFrom: number
}

/** What the partial file's note keeps, to know whether its bytes can be resumed. */
interface PartNote { readonly url: string, readonly validator: string | undefined, readonly total: number | undefined }

/**
 * Downloads `url` into `file` over HTTP(S), hashing as it goes: resumes what a download that broke
 * off left (a Range request, with If-Range so that a file changed on the server starts again from
 * its first byte), tries again after a break-off (DOWNLOAD_TRIES, resuming each time), checks that
 * as many bytes arrived as the server said and that the disk has room for the rest. An abort stops
 * it and keeps the partial file for the next pull. Rejects with ModelPullError.
 */
export async function download (opts: DownloadOptions): Promise<Downloaded> {
  const noteFile = `${opts.file}.json`
  let lastError: Error | undefined
  for (let attempt = 1; attempt <= DOWNLOAD_TRIES; attempt++) {
    if (attempt > 1) {
      opts.onRetry?.(attempt, lastError?.message ?? 'broke off')
      await sleep(Math.min(DOWNLOAD_RETRY_MAX_MS, (opts.retryMs ?? DOWNLOAD_RETRY_MS) * 2 ** (attempt - 2)), opts.signal)
    }
    try {
      const note = await readNote(noteFile)
      const have = note?.url === opts.url ? await sizeOf(opts.file) : 0
      return await attemptOnce(opts, noteFile, note?.url === opts.url ? note : undefined, have)
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason ?? err
      if (err instanceof ModelPullError && err.kind !== 'unavailable') throw err
      lastError = err as Error
    }
  }
  throw new ModelPullError(`the download broke off ${DOWNLOAD_TRIES} times; the last: ${lastError?.message ?? 'unknown'} (pull again to resume it)`)
}

async function attemptOnce (opts: DownloadOptions, noteFile: string, note: PartNote | undefined, have: number): Promise<Downloaded> {
  const stall = new AbortController()
  const signal = AbortSignal.any([opts.signal, stall.signal])
  const resume = have > 0 ? { range: `bytes=${have}-`, ifRange: note?.validator } : undefined
  const { response, published } = await follow(opts.url, opts.headers ?? {}, resume, signal)
  let from = 0
  let total: number | undefined
  if (response.status === 206 && resume !== undefined) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '')
    if (range === null || Number(range[1]) !== have) throw new ModelPullError(`the server answered bytes ${response.headers.get('content-range') ?? '(no Content-Range)'} for bytes from ${have}`)
    from = have
    total = range[3] === '*' ? undefined : Number(range[3])
  } else if (response.status === 200) {
    const length = response.headers.get('content-length')
    total = length === null ? undefined : Number(length)
  } else if (response.status === 416 && note?.total !== undefined && have === note.total) {
    // every byte arrived before the break-off: what is left is to hash them
    await response.body?.cancel()
    return await finish(noteFile, await hashOf(opts.file, have), have, have, published)
  } else {
    await response.body?.cancel()
    throw statusError(response.status, opts.url)
  }
  if (published.size !== undefined && total !== undefined && published.size !== total) throw new ModelPullError(`the server published ${published.size} bytes for the file but sends ${total}`)
  total ??= published.size
  if (total !== undefined) await checkRoom(opts.file, total - from)
  const validator = response.headers.get('etag') ?? response.headers.get('last-modified') ?? undefined
  await writeFile(noteFile, JSON.stringify({ url: opts.url, validator, total } satisfies PartNote))
  const hash = from > 0 ? await hashOf(opts.file, from) : createHash('sha256')
  const handle = await open(opts.file, from > 0 ? 'r+' : 'w')
  let received = from
  const timer = setTimeout(() => { stall.abort(new ModelPullError(`nothing arrived for ${DOWNLOAD_STALL_MS / 1000} s`)) }, DOWNLOAD_STALL_MS)
  try {
    if (from === 0) await handle.truncate(0)
    opts.onProgress?.(received, total)
    for await (const chunk of response.body ?? []) {
      const bytes = chunk as Uint8Array
      if (total !== undefined && received + bytes.length > total) throw new ModelPullError(`the server sent more than the ${total} bytes it said`, 'invalid')
      await handle.write(bytes, 0, bytes.length, received)
      hash.update(bytes)
      received += bytes.length
      timer.refresh()
      opts.onReceived?.(bytes.length)
      opts.onProgress?.(received, total)
    }
  } catch (err) {
    if (stall.signal.aborted && !opts.signal.aborted) throw stall.signal.reason as Error
    throw err instanceof ModelPullError ? err : new ModelPullError(`the download broke off at byte ${received}: ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
    await handle.close()
  }
  if (total !== undefined && received !== total) throw new ModelPullError(`the download broke off at byte ${received} of ${total}`)
  return await finish(noteFile, hash, received, from, published)
}

async function finish (noteFile: string, hash: Hash, sizeBytes: number, resumedFrom: number, published: Published): Promise<Downloaded> {
  await rm(noteFile, { force: true })
  return { sizeBytes, sha256: hash.digest('hex'), publishedSha256: published.sha256, resumedFrom }
}

interface Published { sha256: string | undefined, size: number | undefined }

/** GETs `url`, following redirects itself: what each hop publishes about the file (Hugging Face
 * says it on the redirect to its CDN), and the first origin's headers kept from other origins. */
async function follow (url: string, headers: Readonly<Record<string, string>>, resume: { range: string, ifRange: string | undefined } | undefined, signal: AbortSignal): Promise<{ response: Response, published: Published }> {
  const published: Published = { sha256: undefined, size: undefined }
  const origin = new URL(url).origin
  let at = url
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sent: Record<string, string> = { 'user-agent': 'plexi-model-pull', ...(new URL(at).origin === origin ? headers : {}) }
    if (resume !== undefined) {
      sent.range = resume.range
      if (resume.ifRange !== undefined) sent['if-range'] = resume.ifRange
    }
    let response: Response
    try {
      response = await fetch(at, { headers: sent, redirect: 'manual', signal })
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err
      throw new ModelPullError(`could not reach ${new URL(at).host}: ${causeOf(err)}`)
    }
    readPublished(response.headers, published)
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel()
      at = new URL(location, at).href
      if (!at.startsWith('http:') && !at.startsWith('https:')) throw new ModelPullError('the server redirected to something other than http or https', 'invalid')
      continue
    }
    return { response, published }
  }
  throw new ModelPullError(`more than ${MAX_REDIRECTS} redirects`)
}

function readPublished (headers: Headers, into: Published): void {
  const linked = headers.get('x-linked-etag')?.replace(/^W\//, '').replaceAll('"', '')
  if (linked !== undefined && /^[0-9a-f]{64}$/.test(linked)) into.sha256 = linked
  const size = headers.get('x-linked-size')
  if (size !== null && /^\d{1,15}$/.test(size)) into.size = Number(size)
  for (const name of ['repr-digest', 'digest']) {
    const found = /sha-256=:?([A-Za-z0-9+/=]{44}):?/.exec(headers.get(name) ?? '')
    if (found?.[1] !== undefined) into.sha256 = Buffer.from(found[1], 'base64').toString('hex')
  }
}

function statusError (status: number, url: string): ModelPullError {
  const host = new URL(url).host
  if (status === 401 || status === 403) return new ModelPullError(`${host} refused the file (HTTP ${status}): a gated or private model needs a token (HF_TOKEN in the node's environment)`, 'denied')
  if (status === 404) return new ModelPullError(`${host} has no such file (HTTP 404): check the URL, or the file's path and revision in the repository`, 'not-found')
  if (status >= 500 || status === 429 || status === 408) return new ModelPullError(`${host} answered HTTP ${status}`)
  return new ModelPullError(`${host} answered HTTP ${status}`, 'invalid')
}

async function checkRoom (file: string, bytes: number): Promise<void> {
  const fs = await statfs(dirname(file))
  const free = fs.bavail * fs.bsize
  if (free < bytes + FREE_MARGIN_BYTES) {
    throw new ModelPullError(`not enough disk: the model needs ${mib(bytes)} MiB more, and ${mib(free)} MiB are free where the models are (${dirname(dirname(file))})`, 'exhausted')
  }
}

async function hashOf (file: string, bytes: number): Promise<Hash> {
  const hash = createHash('sha256')
  if (bytes === 0) return hash
  for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer)
  return hash
}

async function readNote (file: string): Promise<PartNote | undefined> {
  try {
    const note = JSON.parse(await readFile(file, 'utf8')) as Partial<PartNote>
    if (typeof note.url !== 'string') return undefined
    return { url: note.url, validator: typeof note.validator === 'string' ? note.validator : undefined, total: typeof note.total === 'number' ? note.total : undefined }
  } catch {
    return undefined
  }
}

async function sizeOf (file: string): Promise<number> {
  return await stat(file).then((s) => s.size, () => 0)
}

function causeOf (err: unknown): string {
  const cause = (err as { cause?: { code?: string, message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err as Error).message
}

const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(1)

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error)
      return
    }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason as Error) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
