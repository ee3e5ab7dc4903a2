import { createHash, randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { ModelPullError, download } from '../../../node/model-pull/index.ts'
import { ModelServer } from '../../helpers/model-server.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

const SIZE = 300_000

describe('download (a real HTTP server on loopback)', function () {
  this.timeout(30_000)
  let server: ModelServer
  let base: string
  let dir: { path: string, remove: () => Promise<void> }
  let source: string
  let sha: string

  beforeEach(async () => {
    server = new ModelServer()
    base = await server.listen()
    dir = await tempDir('plexi-download-')
    source = join(dir.path, 'served.bin')
    const bytes = randomBytes(SIZE)
    await writeFile(source, bytes)
    sha = createHash('sha256').update(bytes).digest('hex')
  })

  afterEach(async () => {
    await server.close()
    await dir.remove()
  })

  const part = (): string => join(dir.path, 'm.gguf.part')

  it('should download a file whole, hashing it, with the SHA-256 and size the hub publishes on its redirect, and the token sent to the hub', async () => {
    await server.serveFile('m.gguf', source)
    const seen: number[] = []
    const got = await download({ url: `${base}/o/r/resolve/main/m.gguf`, file: part(), signal: new AbortController().signal, headers: { authorization: 'Bearer t0k' }, onProgress: (n) => { seen.push(n) } })
    expect(got).to.deep.equal({ sizeBytes: SIZE, sha256: sha, publishedSha256: sha, resumedFrom: 0 })
    expect(createHash('sha256').update(await readFile(part())).digest('hex')).to.equal(sha)
    expect(seen.at(-1)).to.equal(SIZE)
    expect(server.seen.map((r) => [r.path, r.auth])).to.deep.equal([['/o/r/resolve/main/m.gguf', 'Bearer t0k'], ['/files/m.gguf', 'Bearer t0k']])
    // the note that lets a break-off resume is gone once the file is whole
    expect(await stat(`${part()}.json`).then(() => true, () => false)).to.equal(false)
  })

  it('should resume a download that broke off from the byte where it broke, sending no byte twice', async () => {
    await server.serveFile('m.gguf', source, { stalls: 1, stallAfter: 100_000 })
    const retries: string[] = []
    // the connection breaks once the first 100,000 bytes are on disk
    const got = await download({ url: `${base}/files/m.gguf`, file: part(), signal: new AbortController().signal, retryMs: 1, onRetry: (_n, why) => { retries.push(why) }, onProgress: (n) => { if (n === 100_000) server.breakOff() } })
    expect(got).to.include({ sha256: sha, resumedFrom: 100_000 })
    expect(retries).to.have.length(1)
    expect(server.seen.map((r) => r.range)).to.deep.equal([undefined, 'bytes=100000-'])
    expect(server.bytesSent).to.equal(SIZE)
  })

  it('should keep what arrived when aborted, and a later download of the same URL resumes it', async () => {
    await server.serveFile('m.gguf', source, { stalls: 1, stallAfter: 120_000 })
    const abort = new AbortController()
    const err = await rejection(async () => await download({ url: `${base}/files/m.gguf`, file: part(), signal: abort.signal, onProgress: (n) => { if (n >= 120_000) abort.abort(new Error('cancelled')) } }))
    expect(err.message).to.equal('cancelled')
    expect((await stat(part())).size).to.equal(120_000)
    const got = await download({ url: `${base}/files/m.gguf`, file: part(), signal: new AbortController().signal })
    expect(got).to.include({ sha256: sha, resumedFrom: 120_000, sizeBytes: SIZE })
    expect(server.seen.at(-1)?.range).to.equal('bytes=120000-')
  })

  it('should start again from the first byte when the file changed on the server since the break-off (If-Range)', async () => {
    await server.serveFile('m.gguf', source, { stalls: 1, stallAfter: 50_000 })
    const abort = new AbortController()
    await rejection(async () => await download({ url: `${base}/files/m.gguf`, file: part(), signal: abort.signal, onProgress: (n) => { if (n >= 50_000) abort.abort(new Error('cancelled')) } }))
    const changed = randomBytes(SIZE - 1)
    await writeFile(source, changed)
    await server.serveFile('m.gguf', source)
    const got = await download({ url: `${base}/files/m.gguf`, file: part(), signal: new AbortController().signal })
    expect(got).to.include({ sha256: createHash('sha256').update(changed).digest('hex'), resumedFrom: 0, sizeBytes: SIZE - 1 })
  })

  it('should fail at once on a file the server does not have, saying so', async () => {
    const err = await rejection(async () => await download({ url: `${base}/o/r/resolve/main/none.gguf`, file: part(), signal: new AbortController().signal }))
    expect(err).to.be.instanceOf(ModelPullError)
    expect((err as ModelPullError).kind).to.equal('not-found')
    expect(err.message).to.include('has no such file (HTTP 404)')
    expect(server.seen).to.have.length(1)
  })

  it('should fail saying it could not reach a server that is not there', async () => {
    await server.close()
    const err = await rejection(async () => await download({ url: `${base}/files/m.gguf`, file: part(), signal: AbortSignal.timeout(20_000), retryMs: 1 }))
    expect(err.message).to.match(/could not reach 127\.0\.0\.1:\d+: ECONNREFUSED/)
    server = new ModelServer()
    await server.listen()
  })
})
