import { expect } from 'chai'
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorRef } from '../../../actors/index.ts'
import { KV_CACHE_PATH, KvCacheTransfer, checkKvCacheMsg, kvCacheDir, spawnKvCacheActor } from '../../../node/inference/index.ts'
import type { KvCacheMsg } from '../../../node/inference/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { LlamaRuntime, ModelManager, ModelRegistry, kvStatePaths, parseMeta, writeTinyModel } from '../../../runtimes/index.ts'
import type { KvStateMeta } from '../../../runtimes/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const silent = { info () {}, warn () {}, debug () {} }
const KEY = 'agent/ann'

describe('KvCacheTransfer (real llama.cpp, real actors)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let manager: ModelManager
  let receiver: ActorRef<KvCacheMsg>
  /** A real state of KEY, saved by the tiny model, and its description. */
  let meta: KvStateMeta
  let state: Buffer

  before(async () => {
    dir = await tempDir()
    const models = join(dir.path, 'models')
    await mkdir(models)
    await writeTinyModel(join(models, 'tiny.gguf'))
    const registry = new ModelRegistry(models)
    await registry.scan()
    manager = new ModelManager({
      registry,
      createRuntime: (entry) => new LlamaRuntime({ name: entry.name, file: entry.file, gpu: 'off', threads: 1, contextSize: 512, kvStateDir: kvCacheDir(dir.path, entry.name) }),
      memoryBudgetBytes: 1 << 30,
      maxQueue: 4
    })
    await manager.generate('tiny', { input: { messages: [{ role: 'user', content: 'Hello' }] }, params: { maxTokens: 8, temperature: 0, topP: 1, topK: 0 }, cacheKey: KEY }, () => {})
    const saved = await manager.saveCaches([KEY])
    expect(saved.map((s) => s.model)).to.deep.equal(['tiny'])
    const paths = kvStatePaths(kvCacheDir(dir.path, 'tiny'), KEY)
    meta = parseMeta(await readFile(paths.meta, 'utf8')) as KvStateMeta
    state = await readFile(paths.state)
    store = await LevelStore.open(join(dir.path, 'store'))
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    const transfer = new KvCacheTransfer({ system, manager, registry, dataDir: join(dir.path, 'other'), budgetBytes: 64 << 20, log: silent })
    spawnKvCacheActor(system, transfer)
    receiver = system.actorAt<KvCacheMsg>({ node: system.node, path: KV_CACHE_PATH })
  })

  after(async () => {
    await system?.terminate()
    await store?.close()
    await manager?.close()
    await dir?.remove()
  })

  const offer = (m: KvStateMeta, model = 'tiny', cacheKey = 'agent/bo'): Promise<string> =>
    receiver.ask<string>((replyTo) => ({ type: 'kv-offer', model, cacheKey, meta: m, replyTo }))
  const chunk = (transfer: string, offset: number, bytes: Uint8Array): Promise<'ok'> =>
    receiver.ask<'ok'>((replyTo) => ({ type: 'kv-chunk', transfer, offset, bytes, replyTo }))
  const commit = (transfer: string): Promise<'ok'> => receiver.ask<'ok'>((replyTo) => ({ type: 'kv-commit', transfer, replyTo }))
  const failure = async (p: Promise<unknown>): Promise<Error> => await p.then(() => { throw new Error('expected a refusal') }, (err: unknown) => err as Error)
  const kept = async (): Promise<string[]> => (await readdir(kvCacheDir(join(dir.path, 'other'), 'tiny')).catch(() => [])).filter((f) => f.endsWith('.kvstate'))

  it('should keep a state whose bytes all arrived and hash to its description, under its model\'s kv-cache dir', async () => {
    const transfer = await offer(meta)
    for (let offset = 0; offset < state.length; offset += 300_000) await chunk(transfer, offset, state.subarray(offset, offset + 300_000))
    expect(await commit(transfer)).to.equal('ok')
    const paths = kvStatePaths(kvCacheDir(join(dir.path, 'other'), 'tiny'), 'agent/bo')
    expect((await readFile(paths.state)).equals(state)).to.equal(true)
    expect(parseMeta(await readFile(paths.meta, 'utf8'))).to.deep.equal(meta)
  })

  it('should refuse an offer for a model it does not have, or whose file is another', async () => {
    expect((await failure(offer(meta, 'nope'))).name).to.equal('KvCacheTransferError')
    const other = await failure(offer({ ...meta, modelSha256: 'a'.repeat(64) }))
    expect(other.message).to.match(/another file/)
  })

  it('should refuse bytes out of order or beyond the offer, and a commit whose bytes do not hash, keeping nothing', async () => {
    const before = await kept()
    const transfer = await offer(meta, 'tiny', 'agent/cy')
    expect((await failure(chunk(transfer, 5, state.subarray(0, 10)))).message).to.match(/expected bytes from 0/)
    const damaged = Buffer.from(state)
    damaged[100] = (damaged[100] ?? 0) ^ 0xff
    await chunk(transfer, 0, damaged.subarray(0, 1_000_000))
    if (damaged.length > 1_000_000) await chunk(transfer, 1_000_000, damaged.subarray(1_000_000))
    expect((await failure(commit(transfer))).message).to.match(/do not hash/)
    expect(await kept()).to.deep.equal(before)
    const tooMuch = await offer(meta, 'tiny', 'agent/dd')
    await chunk(tooMuch, 0, state.subarray(0, 1_000_000))
    expect((await failure(chunk(tooMuch, Math.min(1_000_000, state.length), new Uint8Array(state.length + 1 - Math.min(1_000_000, state.length))))).message).to.match(/more bytes than/)
    expect((await failure(commit(tooMuch))).message).to.match(/no such transfer/)
    expect(await kept()).to.deep.equal(before)
  })

  it('should remove a conversation\'s saved states for every model on kv-forget, and no other conversation\'s', async () => {
    for (const key of ['agent/ed', 'agent/fi']) {
      const transfer = await offer(meta, 'tiny', key)
      for (let offset = 0; offset < state.length; offset += 300_000) await chunk(transfer, offset, state.subarray(offset, offset + 300_000))
      await commit(transfer)
    }
    const forget = (cacheKey: string): Promise<number> => receiver.ask<number>((replyTo) => ({ type: 'kv-forget', cacheKey, replyTo }))
    expect(await forget('agent/ed')).to.equal(1)
    const other = join(dir.path, 'other')
    const gone = kvStatePaths(kvCacheDir(other, 'tiny'), 'agent/ed')
    expect(await readFile(gone.state).then(() => 'there', () => 'gone')).to.equal('gone')
    expect(await readFile(gone.meta).then(() => 'there', () => 'gone')).to.equal('gone')
    expect(await readFile(kvStatePaths(kvCacheDir(other, 'tiny'), 'agent/fi').state).then(() => 'there', () => 'gone')).to.equal('there')
    expect(await forget('agent/ed')).to.equal(0)
  })

  it('should refuse malformed messages naming what is wrong, whatever arrives', () => {
    const replyTo = { node: 'n', askId: 'x' }
    const bad: Array<[unknown, RegExp]> = [
      [null, /an object/],
      [{ type: 'kv-offer', model: 'tiny', cacheKey: KEY, meta }, /reply address/],
      [{ type: 'kv-offer', model: '', cacheKey: KEY, meta, replyTo }, /model and cacheKey/],
      [{ type: 'kv-offer', model: 'tiny', cacheKey: KEY, meta: { ...meta, sha256: 'zz' }, replyTo }, /meta: .*state hash/],
      [{ type: 'kv-chunk', transfer: 't', offset: -1, bytes: new Uint8Array(1), replyTo }, /offset/],
      [{ type: 'kv-chunk', transfer: 't', offset: 0, bytes: 'text', replyTo }, /bytes/],
      [{ type: 'kv-chunk', transfer: 't', offset: 0, bytes: new Uint8Array((1 << 20) + 1), replyTo }, /bytes/],
      [{ type: 'kv-commit', replyTo }, /transfer/],
      [{ type: 'kv-forget', cacheKey: '', replyTo }, /cacheKey/],
      [{ type: 'kv-steal', replyTo }, /unknown KV cache message/]
    ]
    for (const [msg, why] of bad) {
      let err: Error | undefined
      try { checkKvCacheMsg(msg) } catch (e) { err = e as Error }
      expect(err?.name, JSON.stringify(msg)?.slice(0, 80)).to.equal('InvalidPeerRequestError')
      expect(err?.message).to.match(why)
    }
  })
})
