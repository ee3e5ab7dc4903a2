import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorRef } from '../../../actors/index.ts'
import { FileDigests, MODEL_COPY_PATH, ModelCopies, checkModelCopyMsg, spawnModelCopyActor } from '../../../node/model-pull/index.ts'
import type { CopyOfferAnswer, ModelCopyMsg } from '../../../node/model-pull/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { ModelRegistry, writeTinyModel } from '../../../runtimes/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { thrown } from '../../helpers/thrown.ts'

const silent = { info () {}, warn () {}, debug () {} }

describe('ModelCopies (real actors, real files)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let registry: ModelRegistry
  let receiver: ActorRef<ModelCopyMsg>
  let model: Buffer
  let sha: string
  const loaded = new Set<string>()

  before(async () => {
    dir = await tempDir('plexi-model-copy-')
    const source = join(dir.path, 'source.gguf')
    await writeTinyModel(source, { seed: 5 })
    model = await readFile(source)
    sha = createHash('sha256').update(model).digest('hex')
    const models = join(dir.path, 'models')
    await mkdir(models)
    registry = new ModelRegistry(models)
    store = await LevelStore.open(join(dir.path, 'store'))
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    spawnModelCopyActor(system, new ModelCopies({ system, registry, loaded: (n) => loaded.has(n), digests: new FileDigests(), log: silent }))
    receiver = system.actorAt<ModelCopyMsg>({ node: system.node, path: MODEL_COPY_PATH })
  })

  after(async () => {
    await system?.terminate()
    await store?.close()
    await dir?.remove()
  })

  const offer = async (name: string, options: { sha256?: string, sizeBytes?: number, replace?: boolean } = {}): Promise<CopyOfferAnswer> =>
    await receiver.ask<CopyOfferAnswer>((replyTo) => ({ type: 'copy-offer', name, sizeBytes: options.sizeBytes ?? model.length, sha256: options.sha256 ?? sha, replace: options.replace ?? false, replyTo }))
  const chunk = async (transfer: string, offset: number, bytes: Uint8Array): Promise<'ok'> => await receiver.ask<'ok'>((replyTo) => ({ type: 'copy-chunk', transfer, offset, bytes, replyTo }))
  const commit = async (transfer: string): Promise<'ok'> => await receiver.ask<'ok'>((replyTo) => ({ type: 'copy-commit', transfer, replyTo }))
  const send = async (transfer: string, bytes: Buffer): Promise<void> => {
    for (let offset = 0; offset < bytes.length; offset += 1_048_576) await chunk(transfer, offset, bytes.subarray(offset, offset + 1_048_576))
  }
  const failure = async (p: Promise<unknown>): Promise<Error> => await p.then(() => { throw new Error('expected a refusal') }, (err: unknown) => err as Error)
  const files = async (): Promise<string[]> => (await readdir(registry.dir)).filter((f) => f.endsWith('.gguf')).sort()
  const partials = async (): Promise<string[]> => await readdir(join(registry.dir, '.partial')).catch(() => [])

  it('should keep a model whose bytes all arrived, hash to its SHA-256 and validate, and answer have for it afterwards', async () => {
    const answer = await offer('copied')
    if (!('transfer' in answer)) throw new Error('expected a transfer')
    await send(answer.transfer, model)
    expect(await commit(answer.transfer)).to.equal('ok')
    expect(await files()).to.deep.equal(['copied.gguf'])
    expect(registry.get('copied')?.status).to.equal('ready')
    expect(await offer('copied')).to.deep.equal({ have: true })
    expect(await partials()).to.deep.equal([])
  })

  it('should refuse bytes that do not hash to the offer, and bytes that are no GGUF, keeping nothing', async () => {
    const forged = Buffer.from(model)
    forged[forged.length - 1] ^= 1
    const first = await offer('forged') as { transfer: string }
    await send(first.transfer, forged)
    expect((await failure(commit(first.transfer))).message).to.equal('the bytes do not hash to the model\'s SHA-256')
    const junk = Buffer.alloc(4096, 3)
    const second = await offer('junk', { sha256: createHash('sha256').update(junk).digest('hex'), sizeBytes: junk.length }) as { transfer: string }
    await send(second.transfer, junk)
    expect((await failure(commit(second.transfer))).message).to.match(/^not a model llama\.cpp can load: /)
    expect(await files()).to.deep.equal(['copied.gguf'])
    expect(await partials()).to.deep.equal([])
  })

  it('should refuse chunks out of order or past the size offered, and a commit before every byte arrived', async () => {
    const answer = await offer('partial') as { transfer: string }
    expect((await failure(chunk(answer.transfer, 10, model.subarray(0, 10)))).message).to.equal('expected bytes from 0, got 10')
    await chunk(answer.transfer, 0, model.subarray(0, 1000))
    expect((await failure(commit(answer.transfer))).message).to.equal(`1000 of ${model.length} bytes arrived`)
    const small = await offer('small', { sizeBytes: 10 }) as { transfer: string }
    expect((await failure(chunk(small.transfer, 0, model.subarray(0, 11)))).message).to.equal('more bytes than the 10 offered')
    expect((await failure(chunk(small.transfer, 0, model.subarray(0, 5)))).message).to.include('no such copy')
    expect(await partials()).to.deep.equal([])
  })

  it('should not replace another file of that name unless asked, nor one that is loaded, nor a remote model', async () => {
    const other = 'ef'.repeat(32)
    expect((await failure(offer('copied', { sha256: other }))).message).to.match(/^another file named copied\.gguf is here \(sha256 [0-9a-f]{12}…\); pull with --replace to replace it$/)
    loaded.add('copied')
    expect((await failure(offer('copied', { sha256: other, replace: true }))).message).to.equal('copied is loaded here: unload it first (plexi admin models unload copied)')
    loaded.delete('copied')
    expect(await offer('copied', { sha256: other, replace: true })).to.have.property('transfer')
    await writeFile(join(registry.dir, 'remote.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'x' }))
    expect((await failure(offer('remote'))).message).to.include('remote is a model on an OpenAI-compatible server here')
  })

  it('should refuse a copy message that is not one, whatever its fields, without throwing anything but its own error', () => {
    const replyTo = { askId: '1', node: 'p' }
    for (const bad of [null, 7, { type: 'copy-offer' }, { type: 'copy-offer', replyTo, name: '../x', sizeBytes: 1, sha256: sha, replace: false },
      { type: 'copy-offer', replyTo, name: 'x', sizeBytes: 0, sha256: sha, replace: false }, { type: 'copy-offer', replyTo, name: 'x', sizeBytes: 2 ** 41, sha256: sha, replace: false },
      { type: 'copy-offer', replyTo, name: 'x', sizeBytes: 1, sha256: 'zz', replace: false }, { type: 'copy-offer', replyTo, name: 'x', sizeBytes: 1, sha256: sha, replace: 'yes' },
      { type: 'copy-chunk', replyTo, transfer: 'nope', offset: 0, bytes: new Uint8Array(1) }, { type: 'copy-chunk', replyTo, transfer: '00000000-0000-0000-0000-000000000000', offset: -1, bytes: new Uint8Array(1) },
      { type: 'copy-chunk', replyTo, transfer: '00000000-0000-0000-0000-000000000000', offset: 0, bytes: new Uint8Array(1_048_577) }, { type: 'copy-commit', replyTo }, { type: 'copy-drop', replyTo }]) {
      const err = thrown(() => checkModelCopyMsg(bad))
      expect(err.name, JSON.stringify(bad)?.slice(0, 80)).to.equal('InvalidPeerRequestError')
    }
  })
})
