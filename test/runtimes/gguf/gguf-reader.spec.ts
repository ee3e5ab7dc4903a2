import { expect } from 'chai'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GgufFormatError, readGgufInfo, writeTinyModel } from '../../../runtimes/gguf/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('readGgufInfo', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  const reject = async (path: string, message: RegExp): Promise<void> => {
    const err = await readGgufInfo(path).then(() => null, (e: unknown) => e)
    expect(err, String(message)).to.be.instanceOf(GgufFormatError)
    expect((err as Error).message).to.match(message)
  }

  it('should read the header, metadata and tensor infos of a model, not its data', async () => {
    const path = join(dir.path, 'tiny.gguf')
    const { bytes } = await writeTinyModel(path, { quant: 'f16' })
    const info = await readGgufInfo(path)
    expect(info.version).to.equal(3)
    expect(info.alignment).to.equal(32)
    expect(info.fileSize).to.equal(bytes)
    expect(info.dataOffset % 32).to.equal(0)
    expect(info.metadata.get('general.architecture')).to.equal('llama')
    expect(info.metadata.get('llama.block_count')).to.equal(4)
    const tokens = info.metadata.get('tokenizer.ggml.tokens') as { readonly length: number }
    expect(tokens.length).to.equal(259)
    expect(info.tensors[0]).to.deep.include({ name: 'token_embd.weight', dims: [256, 259], offset: 0 })
  })

  it('should refuse files that are cut short in their header, not GGUF, or claim absurd sizes', async () => {
    const good = join(dir.path, 'good.gguf')
    await writeTinyModel(good, { quant: 'tq2_0' })
    const header = join(dir.path, 'header.gguf')
    await writeFile(header, (await readFile(good)).subarray(0, 2000))
    await reject(header, /the file ends at byte 2000, inside its header/)
    const notGguf = join(dir.path, 'not.gguf')
    await writeFile(notGguf, 'this is a text file, not a model')
    await reject(notGguf, /does not start with "GGUF"/)
    const bytes = Uint8Array.from(await readFile(good))
    new DataView(bytes.buffer).setUint32(4, 99, true)
    const version = join(dir.path, 'version.gguf')
    await writeFile(version, bytes)
    await reject(version, /GGUF version 99/)
    const huge = Uint8Array.from(await readFile(good))
    new DataView(huge.buffer).setBigUint64(8, 1n << 40n, true)   // tensor count
    const absurd = join(dir.path, 'absurd.gguf')
    await writeFile(absurd, huge)
    await reject(absurd, /tensor count is 1099511627776, more than 65536/)
    await reject(join(dir.path, 'missing.gguf'), /cannot open it/)
  })
})
