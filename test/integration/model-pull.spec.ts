/**
 * `plexi admin models pull` on real node processes (issue 40): a model downloaded from a local HTTP
 * server the test starts (no test reaches the internet) in the hub's form (a redirect publishing its
 * SHA-256, like Hugging Face), checked and validated, copied to the other ai member over the mesh and
 * checked there by its SHA-256, and not to the member without the ai role; a pull that broke off and
 * was cancelled resumes where it stopped; a file whose digest is wrong, or that is no GGUF, is
 * refused and nothing of it kept; bad requests change nothing.
 */
import { createHash } from 'node:crypto'
import { readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import type { Job } from '../../protocols/index.ts'
import { writeTinyModel } from '../../runtimes/index.ts'
import { seriesValue } from '../helpers/metric-text.ts'
import { ModelServer } from '../helpers/model-server.ts'
import { runCli } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

interface ModelRow { readonly name: string, readonly status: string, readonly sizeBytes: number, readonly error?: string }

describe('plexi admin models pull (real processes, a local model server)', function () {
  this.timeout(240_000)
  const server = new ModelServer()
  let hub = ''
  let files: { path: string, remove: () => Promise<void> }
  const cluster = new ProcessCluster({ args: ['--gpu', 'off', '--inference-threads', '1'] })
  let a: NodeSlot
  let b: NodeSlot
  let c: NodeSlot

  before(async () => {
    hub = await server.listen()
    files = await tempDir('plexi-pull-files-')
    await cluster.start([{ roles: 'ai,chat,storage', args: ['--model-hub', hub] }, 'ai,chat,storage', 'chat,storage'])
    ;[a, b, c] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
  })

  after(async () => {
    await cluster.close()
    await server.close()
    await files?.remove()
  })

  /** A generated model of its own weights (`seed`), served as NAME. */
  const serve = async (name: string, seed: number, options: Parameters<ModelServer['serveFile']>[2] = {}): Promise<{ sha256: string, bytes: number }> => {
    const path = join(files.path, `${name}-${seed}`)
    const { bytes } = await writeTinyModel(path, { seed })
    return { sha256: await server.serveFile(name, path, options), bytes }
  }
  const models = async (slot: NodeSlot): Promise<ModelRow[]> => await cluster.api<ModelRow[]>(slot, '/models')
  const ended = async (slot: NodeSlot, id: string): Promise<Job> => {
    let job: Job | undefined
    await waitFor(async () => (job = await cluster.api<Job>(slot, `/jobs/${id}`)).state !== 'running', () => `job ${id} to end (${job?.message ?? ''})`, { timeout: 120_000, interval: 100 })
    return job as Job
  }
  const pull = async (slot: NodeSlot, body: object): Promise<Job> => await cluster.api<Job>(slot, '/models/pull', { method: 'POST', body })
  const fileSha = async (slot: NodeSlot, name: string): Promise<string> => createHash('sha256').update(await readFile(join(slot.node.dataDir, 'models', `${name}.gguf`))).digest('hex')
  const partials = async (slot: NodeSlot): Promise<string[]> => await readdir(join(slot.node.dataDir, 'models', '.partial')).catch(() => [])

  it('should download hf:OWNER/REPO/FILE.gguf with the CLI, check the published SHA-256, and copy it to the other ai member only', async () => {
    const served = await serve('pulled.gguf', 7)
    const cli = await runCli(['admin', 'models', 'pull', 'hf:someone/tiny-GGUF/pulled.gguf', '--admin-addr', a.node.admin, '--admin-token', a.node.adminToken], { timeout: 120_000 })
    expect(cli.code, cli.stderr).to.equal(0)
    expect(cli.stdout).to.match(/^pull-1-\w+ done: pulled: [\d.]+ MiB, sha256 [0-9a-f]{12}… \(checked against the one published\); on 2 of 2 ai members\n$/)
    expect(server.seen.filter((r) => r.path === '/someone/tiny-GGUF/resolve/main/pulled.gguf')).to.have.length(1)
    expect(server.bytesSent).to.equal(served.bytes)
    for (const slot of [a, b]) {
      expect((await models(slot)).find((m) => m.name === 'pulled'), `on ${slot.peerId}`).to.include({ status: 'ready', sizeBytes: served.bytes })
      expect(await fileSha(slot, 'pulled')).to.equal(served.sha256)
      expect(await partials(slot)).to.deep.equal([])
    }
    expect((await models(c)).map((m) => m.name)).to.not.include('pulled')
    expect(seriesValue(await cluster.metrics(a), 'plexi_model_pull_bytes_total{way="downloaded"}')).to.equal(served.bytes)
    expect(seriesValue(await cluster.metrics(a), 'plexi_model_pull_bytes_total{way="sent"}')).to.equal(served.bytes)
    expect(seriesValue(await cluster.metrics(b), 'plexi_model_pull_bytes_total{way="received"}')).to.equal(served.bytes)
    // the copy loads and answers like any model
    await cluster.api(b, '/models/pulled/load', { method: 'POST' })
    await cluster.api(b, '/models/pulled/unload', { method: 'POST' })
  })

  it('should download nothing when pulled again, and copy the model to a member that lost it', async () => {
    const sent = server.bytesSent
    await rm(join(b.node.dataDir, 'models', 'pulled.gguf'))
    const job = await ended(a, (await pull(a, { source: 'hf:someone/tiny-GGUF/pulled.gguf' })).id)
    expect(job.state, job.error ?? '').to.equal('done')
    expect(job.message).to.include('(was here already); on 2 of 2 ai members')
    expect(server.bytesSent).to.equal(sent)
    expect(await fileSha(b, 'pulled')).to.equal(await fileSha(a, 'pulled'))
  })

  it('should keep what a cancelled pull downloaded, and resume there when pulled again', async () => {
    const served = await serve('resumed.gguf', 8, { stalls: 1, stallAfter: 2 * 1_048_576 })
    const sentBefore = server.bytesSent
    const first = await pull(a, { source: `${hub}/files/resumed.gguf` })
    await waitFor(async () => (await cluster.api<Job>(a, `/jobs/${first.id}`)).done === 2, 'the first 2 MiB to arrive', { timeout: 60_000, interval: 50 })
    await cluster.api(a, `/jobs/${first.id}/cancel`, { method: 'POST' })
    expect((await ended(a, first.id)).state).to.equal('cancelled')
    expect(await partials(a)).to.include('resumed.gguf.part')
    const again = await ended(a, (await pull(a, { source: `${hub}/files/resumed.gguf`, sha256: served.sha256.toUpperCase() })).id)
    expect(again.state, again.error ?? '').to.equal('done')
    expect(again.message).to.include('checked against the sha256 given, resumed at 2.0 MiB')
    expect(server.seen.at(-1)?.range).to.equal(`bytes=${2 * 1_048_576}-`)
    // every byte sent once: the 2 MiB before the cancel, the rest after
    expect(server.bytesSent - sentBefore).to.equal(served.bytes)
    expect(await fileSha(b, 'resumed')).to.equal(served.sha256)
  })

  it('should refuse a file whose SHA-256 is not the one published or given, and keep nothing of it', async () => {
    await serve('forged.gguf', 9, { publishedSha256: 'ab'.repeat(32) })
    const forged = await ended(a, (await pull(a, { source: 'hf:someone/tiny-GGUF/forged.gguf' })).id)
    expect(forged.state).to.equal('failed')
    expect(forged.error).to.include(`not the ${'ab'.repeat(32)} the server published; it was removed`)
    const other = await serve('given.gguf', 10)
    const given = await ended(a, (await pull(a, { source: `${hub}/files/given.gguf`, sha256: 'cd'.repeat(32) })).id)
    expect(given.error).to.include(`the file's sha256 is ${other.sha256}, not the ${'cd'.repeat(32)} given`)
    expect((await models(a)).map((m) => m.name)).to.not.include.members(['forged', 'given'])
    expect(await partials(a)).to.deep.equal([])
  })

  it('should refuse a file that is no GGUF llama.cpp can load, and keep nothing of it', async () => {
    const junk = join(files.path, 'junk')
    await writeFile(junk, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(5000, 7)]))
    await server.serveFile('junk.gguf', junk)
    const job = await ended(a, (await pull(a, { source: `${hub}/files/junk.gguf` })).id)
    expect(job.state).to.equal('failed')
    expect(job.error).to.match(/^ModelPullError: not a model llama\.cpp can load, so it was removed: /)
    expect((await models(a)).map((m) => m.name)).to.not.include('junk')
    expect(await partials(a)).to.deep.equal([])
  })

  it('should answer bad requests with a clear error and start nothing', async () => {
    const before = (await cluster.api<{ jobs: Job[] }>(a, '/jobs?kind=pull')).jobs.length
    const refused = async (slot: NodeSlot, body: unknown): Promise<string> => {
      try {
        await cluster.api(slot, '/models/pull', { method: 'POST', body })
      } catch (err) {
        return (err as Error).message
      }
      throw new Error('expected a refusal')
    }
    expect(await refused(a, { source: 'ftp://example.com/m.gguf' })).to.match(/400 .*expected an http or https URL/)
    expect(await refused(a, { source: 'hf:only/repo' })).to.match(/400 .*expected hf:OWNER\/REPO\/FILE\.gguf/)
    expect(await refused(a, { source: `${hub}/files/x.gguf`, sha256: 'nothex' })).to.match(/400 /)
    expect(await refused(a, { source: `${hub}/files/x.gguf`, extra: 1 })).to.match(/400 /)
    expect(await refused(a, { source: `${hub}/files/x.gguf`, name: '../../etc' })).to.match(/400 /)
    expect(await refused(c, { source: `${hub}/files/x.gguf` })).to.match(/404 .*NO_AI_ROLE/)
    // the same name while its pull runs
    await serve('slow.gguf', 11, { stalls: 1, stallAfter: 1_048_576 })
    const slow = await pull(a, { source: `${hub}/files/slow.gguf` })
    expect(await refused(a, { source: `${hub}/files/slow.gguf` })).to.match(/409 .*slow is being pulled already/)
    await cluster.api(a, `/jobs/${slow.id}/cancel`, { method: 'POST' })
    server.breakOff()
    expect((await ended(a, slow.id)).state).to.equal('cancelled')
    expect((await cluster.api<{ jobs: Job[] }>(a, '/jobs?kind=pull')).jobs.length).to.equal(before + 1)
    const missing = await ended(a, (await pull(a, { source: 'hf:someone/tiny-GGUF/none.gguf' })).id)
    expect(missing.error).to.include('has no such file (HTTP 404)')
  })
})
