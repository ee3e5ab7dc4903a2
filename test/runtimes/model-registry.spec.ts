import { expect } from 'chai'
import { rename, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ModelRegistry, writeTinyModel } from '../../runtimes/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

describe('ModelRegistry', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should list valid models with their facts and refuse broken files with the reason, before any load', async () => {
    await writeTinyModel(join(dir.path, 'good.gguf'), { quant: 'tq2_0' })
    await writeTinyModel(join(dir.path, 'cut.gguf'))
    await truncate(join(dir.path, 'cut.gguf'), 100_000)
    await writeFile(join(dir.path, 'text.gguf'), 'not a model')
    await writeTinyModel(join(dir.path, 'bad name!.gguf'))
    await writeFile(join(dir.path, 'readme.txt'), 'ignored: not .gguf')
    const registry = new ModelRegistry(dir.path)
    const models = await registry.scan()
    expect(models.map((m) => [m.name, m.status])).to.deep.equal([['bad name!', 'invalid'], ['cut', 'invalid'], ['good', 'ready'], ['text', 'invalid']])
    expect(registry.get('good')?.facts).to.include({ architecture: 'llama', quantization: 'TQ2_0', parameters: 3_542_784, contextLength: 2048 })
    expect(registry.get('cut')?.error).to.match(/truncated/)
    expect(registry.get('text')?.error).to.match(/does not start with "GGUF"/)
    expect(registry.get('bad name!')?.error).to.match(/file name must match/)
  })

  it('should list <name>.json files as models on OpenAI-compatible servers, refusing malformed ones with the reason', async () => {
    await writeFile(join(dir.path, 'remote.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'http://127.0.0.1:11434/v1/', model: 'llama3.2', apiKey: 'k' }))
    await writeFile(join(dir.path, 'typo.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'http://h/v1', model: 'm', slot: 2 }))
    await writeFile(join(dir.path, 'ftp.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'ftp://h/v1', model: 'm' }))
    await writeFile(join(dir.path, 'garbage.json'), '{ not json')
    await writeTinyModel(join(dir.path, 'twice.gguf'))
    await writeFile(join(dir.path, 'twice.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'http://h/v1', model: 'm' }))
    const registry = new ModelRegistry(dir.path)
    await registry.scan()
    expect(registry.get('remote')).to.deep.include({
      runtime: 'openai-http', status: 'ready', remote: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'k', model: 'llama3.2', contextSize: 4096, slots: 4 }
    })
    expect(registry.get('typo')?.error).to.match(/unknown key "slot"/)
    expect(registry.get('ftp')?.error).to.match(/expected http or https/)
    expect(registry.get('garbage')?.error).to.match(/not JSON/)
    expect(registry.get('twice')?.error).to.match(/both twice.gguf and twice.json exist/)
  })

  it('should notice added, changed and removed files on the next scan', async () => {
    const registry = new ModelRegistry(dir.path)
    expect(await registry.scan()).to.deep.equal([])
    await writeTinyModel(join(dir.path, 'm.gguf'))
    expect((await registry.scan()).map((m) => m.status)).to.deep.equal(['ready'])
    await writeFile(join(dir.path, 'm.gguf'), 'replaced by garbage')
    expect((await registry.scan()).map((m) => m.status)).to.deep.equal(['invalid'])
    await writeFile(join(dir.path, 'm.gguf'), '')
    await (await import('node:fs/promises')).rm(join(dir.path, 'm.gguf'))
    expect(await registry.scan()).to.deep.equal([])
  })

  it('should answer a reader that takes a recent listing from the last scan, or the one under way, and a plain scan from the dir', async () => {
    const registry = new ModelRegistry(dir.path)
    expect(await registry.scan()).to.deep.equal([])
    await writeTinyModel(join(dir.path, 'm.gguf'))
    // within the age: the listing of the scan before, not the dir (no timer: an hour is surely within)
    expect(await registry.scan({ maxAgeMs: 3_600_000 })).to.deep.equal([])
    // a reader that takes no listing older than now reads the dir
    expect((await registry.scan({ maxAgeMs: -1 })).map((m) => m.name)).to.deep.equal(['m'])
    await writeFile(join(dir.path, 'n.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'n' }))
    // readers that arrive while a scan runs share it
    const [first, second] = await Promise.all([registry.scan(), registry.scan({ maxAgeMs: -1 })])
    expect(first.map((m) => m.name)).to.deep.equal(['m', 'n'])
    expect(second.map((m) => m.name)).to.deep.equal(['m', 'n'])
    expect((await registry.scan({ maxAgeMs: 3_600_000 })).map((m) => m.name)).to.deep.equal(['m', 'n'])
  })

  it('should keep its listing while the watched dir is unchanged, and list a file dropped in, renamed or removed by hand once the watch sees it', async () => {
    const registry = new ModelRegistry(dir.path)
    const unwatch = await registry.watch()
    try {
      const remote = (model: string): string => JSON.stringify({ runtime: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model })
      expect(await registry.listing()).to.deep.equal([])
      // nothing changed: an hour-old listing is kept (no timer passes an hour in this test)
      expect(await registry.scan({ maxAgeMs: 3_600_000 })).to.deep.equal([])
      const names = async (): Promise<string[]> => (await registry.scan({ maxAgeMs: 3_600_000 })).map((m) => m.name)
      // a file written by hand, as an operator would: only the watch can make the kept listing stale
      await writeFile(join(dir.path, 'n.json'), remote('n'))
      await waitFor(async () => (await names()).join() === 'n', 'the dropped file listed', { timeout: 10_000, interval: 20 })
      await rename(join(dir.path, 'n.json'), join(dir.path, 'o.json'))
      await waitFor(async () => (await names()).join() === 'o', 'the renamed file listed', { timeout: 10_000, interval: 20 })
      await writeFile(join(dir.path, 'o.json'), '{ not json')
      await waitFor(async () => (await registry.scan({ maxAgeMs: 3_600_000 })).at(0)?.status === 'invalid', 'the changed file refused', { timeout: 10_000, interval: 20 })
      await rm(join(dir.path, 'o.json'))
      await waitFor(async () => (await names()).length === 0, 'the removed file gone', { timeout: 10_000, interval: 20 })
      expect(await registry.listing()).to.deep.equal([])
    } finally {
      unwatch()
    }
    // unwatched again: a listing at most MODEL_LIST_MAX_AGE_MS old, as before the watch
    await writeFile(join(dir.path, 'p.json'), JSON.stringify({ runtime: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'p' }))
    await waitFor(async () => (await registry.listing()).length === 1, 'the file listed without a watch', { timeout: 10_000, interval: 50 })
  })

  it('should refuse a second watch of the same registry', async () => {
    const registry = new ModelRegistry(dir.path)
    const unwatch = await registry.watch()
    try {
      let refused: unknown
      await registry.watch().catch((err: unknown) => { refused = err })
      expect(String(refused)).to.match(/watched already/)
    } finally {
      unwatch()
    }
  })
})
