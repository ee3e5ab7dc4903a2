import { expect } from 'chai'
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  KV_STATE_FORMAT, checkKvState, kvStateIdOf, kvStatePaths, listKvStates, modelSha256, parseMeta, removeKvState, removeKvStateById, sha256File, writeKvState
} from '../../../runtimes/llama/kv-state-file.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const IDENTITY = { modelSha256: 'b'.repeat(64), build: 'llama.cpp@b1 node-llama-cpp@3 cpu' }

describe('kv-state-file', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  /** A state of `bytes` bytes saved for `cacheKey`, as llama.cpp's saveStateToFile would write it. */
  const save = async (cacheKey: string, bytes = 64, tokens = 10) =>
    await writeKvState(dir.path, cacheKey, IDENTITY, tokens, async (path) => { await writeFile(path, Buffer.alloc(bytes, 3)) })

  it('should name a key\'s files by its hash, so that any key is a safe file name', () => {
    const paths = kvStatePaths(dir.path, '../agent/ann\n')
    expect(paths.id).to.match(/^[0-9a-f]{40}$/)
    expect(paths.state).to.equal(join(dir.path, `${paths.id}.kvstate`))
    expect(paths.meta).to.equal(join(dir.path, `${paths.id}.json`))
    expect(kvStatePaths(dir.path, 'other').id).to.not.equal(paths.id)
    expect(kvStateIdOf(`${paths.id}.json`)).to.equal(paths.id)
    expect(kvStateIdOf(`${paths.id}.kvstate`)).to.equal(undefined)
    expect(kvStateIdOf('model-sha256.json')).to.equal(undefined)
  })

  it('should write a state with its description, and pass it when it names this model and build and hashes right', async () => {
    const meta = await save('agent/ann', 100, 12)
    expect(meta).to.include({ format: KV_STATE_FORMAT, tokens: 12, bytes: 100, ...IDENTITY })
    const paths = kvStatePaths(dir.path, 'agent/ann')
    expect(meta.sha256).to.equal(await sha256File(paths.state))
    expect(await readdir(dir.path), 'no temporary file is left').to.have.members([`${paths.id}.kvstate`, `${paths.id}.json`])
    const check = await checkKvState(dir.path, 'agent/ann', IDENTITY, 2048)
    expect(check).to.deep.equal({ ok: true, meta, path: paths.state })
  })

  it('should refuse a state of another model, another build, too many tokens, the wrong size or damaged bytes, saying why', async () => {
    await save('agent/ann', 100, 12)
    const check = (identity = IDENTITY, context = 2048) => checkKvState(dir.path, 'agent/ann', identity, context)
    expect((await check({ ...IDENTITY, modelSha256: 'c'.repeat(64) })).ok).to.equal(false)
    expect(await check({ ...IDENTITY, modelSha256: 'c'.repeat(64) })).to.have.property('reason').that.matches(/another model file/)
    expect(await check({ ...IDENTITY, build: 'other' })).to.have.property('reason').that.matches(/another llama.cpp build/)
    expect(await check(IDENTITY, 12)).to.have.property('reason').that.equals('it holds 12 tokens; this context holds 12')
    const paths = kvStatePaths(dir.path, 'agent/ann')
    await writeFile(paths.state, Buffer.alloc(100, 4))
    expect(await check()).to.have.property('reason').that.matches(/damaged/)
    await writeFile(paths.state, Buffer.alloc(99, 3))
    expect(await check()).to.have.property('reason').that.equals('its state file is 99 bytes, 100 were written')
    await writeFile(paths.meta, 'x'.repeat(5000))
    expect(await check()).to.have.property('reason').that.matches(/not a state description/)
    expect(await checkKvState(dir.path, 'agent/nobody', IDENTITY, 2048)).to.deep.equal({ ok: false, reason: undefined })
  })

  it('should list whole states least recently saved first, and remove what is not one', async () => {
    await save('a', 10)
    await save('b', 20)
    const a = kvStatePaths(dir.path, 'a')
    const b = kvStatePaths(dir.path, 'b')
    // b saved before a
    const meta = JSON.parse(await readFile(b.meta, 'utf8')) as Record<string, number>
    await writeFile(b.meta, JSON.stringify({ ...meta, savedAt: 1 }))
    await writeFile(join(dir.path, 'leftover.tmp'), 'x')
    await writeFile(join(dir.path, `${'d'.repeat(40)}.kvstate`), 'a state without its description')
    await writeFile(join(dir.path, 'model-sha256.json'), '{}')
    const states = await listKvStates(dir.path)
    expect(states.map((s) => [s.id, s.bytes])).to.deep.equal([[b.id, 20], [a.id, 10]])
    expect(await readdir(dir.path)).to.have.members([`${a.id}.kvstate`, `${a.id}.json`, `${b.id}.kvstate`, `${b.id}.json`, 'model-sha256.json'])
    expect(await listKvStates(join(dir.path, 'missing'))).to.deep.equal([])
  })

  it('should remove a state by key or by id, description first', async () => {
    await save('a')
    await save('b')
    await removeKvState(dir.path, 'a')
    await removeKvStateById(dir.path, kvStatePaths(dir.path, 'b').id)
    expect(await readdir(dir.path)).to.deep.equal([])
    await removeKvState(dir.path, 'a')   // nothing there: no error
  })

  it('should hash a model file once per version of it, and again when it changes', async () => {
    const model = join(dir.path, 'model.gguf')
    const kept = join(dir.path, 'states')
    await writeFile(model, 'weights one')
    const first = await modelSha256(kept, model)
    expect(first).to.equal(await sha256File(model))
    const record = JSON.parse(await readFile(join(kept, 'model-sha256.json'), 'utf8')) as { sha256: string }
    expect(record.sha256).to.equal(first)
    // the kept hash is trusted while the size and mtime stand
    await writeFile(join(kept, 'model-sha256.json'), JSON.stringify({ ...record, sha256: 'e'.repeat(64) }))
    expect(await modelSha256(kept, model)).to.equal('e'.repeat(64))
    await writeFile(model, 'weights two!')
    await utimes(model, new Date(), new Date(Date.now() + 5_000))
    expect(await modelSha256(kept, model)).to.equal(await sha256File(model))
  })

  it('should read a description only when every field is what it should be', () => {
    const good = { format: KV_STATE_FORMAT, ...IDENTITY, tokens: 3, bytes: 9, sha256: 'f'.repeat(64), savedAt: 1 }
    expect(parseMeta(JSON.stringify(good))).to.deep.equal(good)
    expect(parseMeta('{')).to.equal('its description is not JSON')
    expect(parseMeta('7')).to.equal('its description is not an object')
    expect(parseMeta(JSON.stringify({ ...good, format: 99 }))).to.match(/format 99/)
    expect(parseMeta(JSON.stringify({ ...good, modelSha256: 'x' }))).to.equal('its description has no model hash')
    expect(parseMeta(JSON.stringify({ ...good, sha256: undefined }))).to.equal('its description has no state hash')
    expect(parseMeta(JSON.stringify({ ...good, build: 'b'.repeat(201) }))).to.equal('its description has no build')
    expect(parseMeta(JSON.stringify({ ...good, tokens: -1 }))).to.equal('its description\'s tokens is not a count')
  })
})
