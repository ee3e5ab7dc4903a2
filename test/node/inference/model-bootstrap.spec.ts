import { expect } from 'chai'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadConfig } from '../../../config/index.ts'
import { bootstrapModels } from '../../../node/inference/index.ts'
import { tinyModelFileName, writeTinyModel } from '../../../runtimes/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('bootstrapModels (a real models dir)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let said: string[]
  const log = { info: (_o: object, msg: string) => { said.push(`info: ${msg}`) }, warn: (_o: object, msg: string) => { said.push(`warn: ${msg}`) } }
  const config = async (flags: Record<string, unknown> = {}) => (await loadConfig({ flags: { role: 'ai', 'models-dir': join(dir.path, 'models'), ...flags }, env: {}, cwd: dir.path })).config
  beforeEach(async () => {
    dir = await tempDir()
    await mkdir(join(dir.path, 'models'))
    said = []
  })
  afterEach(async () => { await dir.remove() })

  it('should give an ai node with no usable model the generated test model, saying so', async () => {
    const models = await bootstrapModels(await config(), true, log)
    expect(models.list().map((m) => [m.name, m.status])).to.deep.equal([[tinyModelFileName().replace(/\.gguf$/, ''), 'ready']])
    expect(said).to.have.length(1)
    expect(said[0]).to.match(/^info: no model in .*: generated the test model/)
  })

  it('should generate nothing on a node without the ai role', async () => {
    const models = await bootstrapModels(await config({ role: 'chat' }), false, log)
    expect(models.list()).to.deep.equal([])
    expect(await readdir(join(dir.path, 'models'))).to.deep.equal([])
  })

  it('should say which files are not usable models, and keep the usable ones', async () => {
    await writeTinyModel(join(dir.path, 'models', 'good.gguf'))
    await writeFile(join(dir.path, 'models', 'broken.gguf'), 'not a gguf')
    const models = await bootstrapModels(await config(), true, log)
    expect(models.get('good')?.status).to.equal('ready')
    expect(models.get('broken')?.status).to.equal('invalid')
    expect(said.filter((m) => m.startsWith('warn: model broken is not usable and will not be loaded'))).to.have.length(1)
  })

  it('should refuse a default model that is not there, naming the models that are', async () => {
    await writeTinyModel(join(dir.path, 'models', 'good.gguf'))
    const err = await bootstrapModels(await config({ 'default-model': 'missing' }), true, log).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('ConfigError')
    expect(err?.message).to.match(/no usable model named missing in .* \(models: good\)/)
  })
})
