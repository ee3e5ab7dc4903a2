import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { Jobs } from '../../../node/jobs/index.ts'
import { FileDigests, ModelPullError, ModelPulls } from '../../../node/model-pull/index.ts'
import type { ModelCopies } from '../../../node/model-pull/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { ModelRegistry, writeTinyModel } from '../../../runtimes/index.ts'
import { ModelServer } from '../../helpers/model-server.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('ModelPulls (a real HTTP server, real jobs and files)', function () {
  this.timeout(30_000)
  let server: ModelServer
  let base: string
  let dir: { path: string, remove: () => Promise<void> }
  let registry: ModelRegistry
  let jobs: Jobs
  let sha: string
  /** Each copy asked for: to whom, of what (the mesh's part is in model-copy.spec.ts and the
   * real-process spec). */
  let copied: Array<{ to: string, name: string, sha256: string }>
  let members: string[]
  let refuse: string | undefined
  const outcomes: string[] = []
  const loadedNow = new Set<string>()
  let pulls: ModelPulls

  beforeEach(async () => {
    server = new ModelServer()
    base = await server.listen()
    dir = await tempDir('plexi-pulls-')
    await mkdir(join(dir.path, 'models'))
    await writeTinyModel(join(dir.path, 'served'), { seed: 3 })
    sha = await server.serveFile('m.gguf', join(dir.path, 'served'))
    registry = new ModelRegistry(join(dir.path, 'models'))
    jobs = new Jobs({ node: '12D3KooWTestNode' })
    copied = []
    members = []
    refuse = undefined
    const copies: Pick<ModelCopies, 'copyTo'> = {
      copyTo: async (to, model) => {
        if (to === refuse) throw new ModelPullError('not enough disk here for 7.0 MiB', 'exhausted')
        copied.push({ to, name: model.name, sha256: model.sha256 })
        return 'copied'
      }
    }
    pulls = new ModelPulls({ jobs, registry, loaded: (n) => loadedNow.has(n), copies, digests: new FileDigests(), hub: base, aiMembers: () => members, log: { info () {} }, onPulled: (o) => { outcomes.push(o) } })
  })

  afterEach(async () => {
    await server.close()
    await dir.remove()
  })

  const ended = async (job: Job): Promise<Job> => await jobs.settled(job.id, 20_000) as Job

  it('should download, check, validate and put the model in place, then copy it to each ai member, as a job counting MiB', async () => {
    members = ['12D3KooWb', '12D3KooWc']
    const job = await ended(pulls.start({ source: 'hf:o/r/m.gguf', name: 'mine' }))
    const mib = Math.ceil(server.files.get('m.gguf')!.bytes.length / 1_048_576)
    expect(job).to.include({ kind: 'pull', target: 'mine', state: 'done', failed: 0, total: mib, done: mib })
    expect(job.message).to.match(/^mine: [\d.]+ MiB, sha256 [0-9a-f]{12}… \(checked against the one published\); on 3 of 3 ai members$/)
    expect(createHash('sha256').update(await readFile(join(registry.dir, 'mine.gguf'))).digest('hex')).to.equal(sha)
    expect(copied).to.deep.equal(members.map((to) => ({ to, name: 'mine', sha256: sha })))
    expect(registry.get('mine')?.status).to.equal('ready')
    expect(await readdir(join(registry.dir, '.partial'))).to.deep.equal([])
    expect(outcomes.at(-1)).to.equal('done')
  })

  it('should fail naming the members it could not copy to, keeping the model here', async () => {
    members = ['12D3KooWb', '12D3KooWc']
    refuse = '12D3KooWb'
    const job = await ended(pulls.start({ source: `${base}/files/m.gguf` }))
    expect(job.state).to.equal('failed')
    expect(job.failed).to.equal(1)
    expect(job.left).to.deep.equal([{ item: '12D3KooWb', why: 'not enough disk here for 7.0 MiB' }])
    expect(job.error).to.include('m is here, on 2 of 3 ai members; not copied to 12D3KooWb: not enough disk here for 7.0 MiB (pull again to copy it: nothing is downloaded again)')
    expect(registry.get('m')?.status).to.equal('ready')
    // pulled again: nothing downloaded, the copy tried again
    refuse = undefined
    const sent = server.bytesSent
    const again = await ended(pulls.start({ source: `${base}/files/m.gguf` }))
    expect(again.state).to.equal('done')
    expect(again.message).to.include('(was here already)')
    expect(server.bytesSent).to.equal(sent)
  })

  it('should refuse what it cannot start before any job: a bad source, name or sha256, or a name whose pull runs', async () => {
    const before = jobs.list().length
    for (const [request, kind, says] of [
      [{ source: 'ftp://x/m.gguf' }, 'invalid', 'http or https'],
      [{ source: `${base}/files/m.gguf`, sha256: 'abc' }, 'invalid', 'sha256: expected'],
      [{ source: `${base}/files/m.gguf`, name: 'a/b' }, 'invalid', 'name: expected']
    ] as const) {
      const err = thrown(() => pulls.start(request)) as ModelPullError
      expect(err.kind, JSON.stringify(request)).to.equal(kind)
      expect(err.message).to.include(says)
    }
    expect(jobs.list().length).to.equal(before)
    server.files.set('slow.gguf', { bytes: Buffer.alloc(3_000_000, 1), stalls: 1, stallAfter: 1000 })
    const slow = pulls.start({ source: `${base}/files/slow.gguf` })
    expect(thrown(() => pulls.start({ source: `${base}/files/slow.gguf` })).message).to.equal('slow is being pulled already (plexi admin jobs)')
    jobs.cancel(slow.id)
    server.breakOff()
    expect((await ended(slow)).state).to.equal('cancelled')
    expect(outcomes.at(-1)).to.equal('cancelled')
  })

  it('should refuse to replace a model loaded here, and a digest that does not match, removing the download', async () => {
    expect((await ended(pulls.start({ source: `${base}/files/m.gguf`, name: 'busy' }))).state).to.equal('done')
    loadedNow.add('busy')
    expect((thrown(() => pulls.start({ source: `${base}/files/m.gguf`, name: 'busy', replace: true })) as ModelPullError).kind).to.equal('conflict')
    const wrong = await ended(pulls.start({ source: `${base}/files/m.gguf`, name: 'other', sha256: '00'.repeat(32) }))
    expect(wrong.state).to.equal('failed')
    expect(wrong.error).to.include(`the file's sha256 is ${sha}, not the ${'00'.repeat(32)} given; it was removed`)
    expect(registry.get('other')).to.equal(undefined)
    expect(await readdir(join(registry.dir, '.partial'))).to.deep.equal([])
    // the model that is here, asked for with another sha256: not replaced silently
    const here = await ended(pulls.start({ source: `${base}/files/m.gguf`, name: 'busy', sha256: 'ab'.repeat(32) }))
    expect(here.error).to.include('busy.gguf here has sha256')
    loadedNow.delete('busy')
  })
})
