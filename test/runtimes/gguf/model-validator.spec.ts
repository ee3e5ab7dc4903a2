import { expect } from 'chai'
import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GgufFormatError, readGgufInfo, tinyModelSpec, validateModel, writeGguf, writeTinyModel } from '../../../runtimes/gguf/index.ts'
import type { GgufSpec, GgufValue } from '../../../runtimes/gguf/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('validateModel', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  /** The tiny model's spec with one change, written to a file. */
  async function variant (name: string, change: (spec: GgufSpec) => GgufSpec): Promise<string> {
    const path = join(dir.path, `${name}.gguf`)
    await writeGguf(path, change(tinyModelSpec({ quant: 'tq2_0' }).spec))
    return path
  }
  const without = (key: string) => (spec: GgufSpec): GgufSpec => ({ ...spec, metadata: spec.metadata.filter(([k]) => k !== key) })
  const setting = (key: string, value: GgufValue) => (spec: GgufSpec): GgufSpec => ({ ...spec, metadata: spec.metadata.map(([k, v]) => [k, k === key ? value : v] as const) })
  const reject = async (path: string, message: RegExp): Promise<void> => {
    const err = await readGgufInfo(path).then((info) => validateModel(path, info)).then(() => null, (e: unknown) => e)
    expect(err, String(message)).to.be.instanceOf(GgufFormatError)
    expect((err as Error).message).to.match(message)
  }

  it('should describe a valid model by its facts, the most common weight type as its quantization', async () => {
    const path = await variant('good', (spec) => spec)
    const facts = validateModel(path, await readGgufInfo(path))
    expect(facts).to.deep.include({ architecture: 'llama', name: 'plexi-tiny-tq2_0', contextLength: 2048, embeddingLength: 256, blockCount: 4, headCount: 4, feedForwardLength: 768, vocabSize: 259, quantization: 'TQ2_0' })
  })

  it('should refuse the keys whose absence makes llama.cpp abort, and an inconsistent tokenizer', async () => {
    await reject(await variant('no-ff', without('llama.feed_forward_length')), /llama.feed_forward_length is missing .*aborts/)
    await reject(await variant('no-heads', without('llama.attention.head_count')), /llama.attention.head_count is missing/)
    await reject(await variant('no-arch', without('general.architecture')), /general.architecture is missing/)
    await reject(await variant('zero-ctx', setting('llama.context_length', { type: 'uint32', value: 0 })), /llama.context_length is missing or not a positive integer/)
    await reject(await variant('no-merges', without('tokenizer.ggml.merges')), /merges is missing/)
    await reject(await variant('no-tokens', without('tokenizer.ggml.tokens')), /tokenizer.ggml.tokens is missing/)
    await reject(await variant('types', setting('tokenizer.ggml.token_type', { type: 'array', of: 'int32', values: [1, 1] })), /token_type has 2 entries for 259 tokens/)
    await reject(await variant('eos', setting('tokenizer.ggml.eos_token_id', { type: 'uint32', value: 9999 })), /eos_token_id 9999 is not a token id/)
    await reject(await variant('rope', setting('llama.rope.dimension_count', { type: 'uint32', value: 32 })), /rope.dimension_count is 32; it must equal the head dimension 64/)
    await reject(await variant('eps', without('llama.attention.layer_norm_rms_epsilon')), /layer_norm_rms_epsilon/)
  })

  it('should refuse missing, misshapen and mistyped tensors', async () => {
    await reject(await variant('no-tensor', (spec) => ({ ...spec, tensors: spec.tensors.filter((t) => t.name !== 'blk.2.ffn_up.weight') })), /tensor blk.2.ffn_up.weight is missing/)
    await reject(await variant('shape', (spec) => ({
      ...spec,
      tensors: spec.tensors.map((t) => t.name === 'blk.0.ffn_norm.weight' ? { ...t, dims: [128], data: () => new Uint8Array(512) } : t)
    })), /blk.0.ffn_norm.weight has shape \[128\], expected \[256\]/)
  })

  it('should refuse a file whose last tensor ends past its end', async () => {
    const good = join(dir.path, 'good.gguf')
    await writeTinyModel(good, { quant: 'tq2_0' })
    const size = (await readFile(good)).length
    const cut = join(dir.path, 'cut.gguf')
    await writeFile(cut, await readFile(good))
    await truncate(cut, size - 1000)
    await reject(cut, /ends past the end of the file \(truncated\?\)/)
  })

  it('should refuse a tensor whose offset is not where llama.cpp expects it', async () => {
    const good = join(dir.path, 'good.gguf')
    await writeTinyModel(good, { quant: 'f16' })
    const info = await readGgufInfo(good)
    const bytes = Uint8Array.from(await readFile(good))
    // the second tensor's info: find its offset field by its name in the header
    const name = new TextEncoder().encode(info.tensors[1]?.name ?? '')
    let at = -1
    for (let i = 0; i < bytes.length - name.length && at < 0; i++) if (name.every((b, j) => bytes[i + j] === b)) at = i
    const offsetAt = at + name.length + 4 + 8 * (info.tensors[1]?.dims.length ?? 0) + 4
    new DataView(bytes.buffer).setBigUint64(offsetAt, BigInt((info.tensors[1]?.offset ?? 0) + 32), true)
    const moved = join(dir.path, 'moved.gguf')
    await writeFile(moved, bytes)
    await reject(moved, /has offset \d+, expected \d+/)
  })
})
