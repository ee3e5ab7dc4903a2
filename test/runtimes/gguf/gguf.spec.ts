import { expect } from 'chai'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  GgufFormatError, byteTokens, packTq1, packTq2, readGgufInfo, tinyModelSpec, unpackTq1, unpackTq2,
  validateModel, writeGguf, writeTinyModel
} from '../../../runtimes/gguf/index.ts'
import type { GgufSpec, GgufValue } from '../../../runtimes/gguf/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('GGUF', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')

  describe('ternary blocks', () => {
    it('should encode the same weights in TQ2_0 and TQ1_0, both decoding exactly to trit × fp16 scale', () => {
      fc.assert(fc.property(fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 256, maxLength: 256 }), fc.double({ min: 1e-3, max: 4, noNaN: true }), (values, d) => {
        const trits = Int8Array.from(values)
        const tq2 = new Uint8Array(66)
        const tq1 = new Uint8Array(54)
        packTq2(trits, d, tq2, 0)
        packTq1(trits, d, tq1, 0)
        const scale = new Float16Array([d])[0] as number
        const expected = Array.from(trits, (t) => t * scale)
        expect(Array.from(unpackTq2(tq2))).to.deep.equal(expected)
        expect(Array.from(unpackTq1(tq1))).to.deep.equal(expected)
      }), { numRuns: 200, seed: 20261122 })
    })
  })

  describe('gen-tiny', () => {
    it('should write the same bytes for the same seed, and other bytes for another seed', async () => {
      const a = join(dir.path, 'a.gguf')
      const b = join(dir.path, 'b.gguf')
      const c = join(dir.path, 'c.gguf')
      await writeTinyModel(a, { quant: 'tq2_0', seed: 7 })
      await writeTinyModel(b, { quant: 'tq2_0', seed: 7 })
      await writeTinyModel(c, { quant: 'tq2_0', seed: 8 })
      expect(await sha(a)).to.equal(await sha(b))
      expect(await sha(a)).not.to.equal(await sha(c))
    })

    it('should describe every variant correctly when read back', async () => {
      for (const [size, quant, parameters, quantization] of [
        ['tiny', 'f16', 3_542_784, 'F16'], ['tiny', 'tq2_0', 3_542_784, 'TQ2_0'], ['25m', 'tq1_0', 27_536_896, 'TQ1_0']
      ] as const) {
        const path = join(dir.path, `${size}-${quant}.gguf`)
        const written = await writeTinyModel(path, { size, quant })
        const facts = validateModel(path, await readGgufInfo(path))
        expect(written.parameters, `${size} ${quant}`).to.equal(parameters)
        expect(facts).to.include({ architecture: 'llama', name: `plexi-${size}-${quant}`, vocabSize: 259, contextLength: 2048, parameters, quantization, fileBytes: written.bytes })
      }
    })

    it('should use a byte-level vocabulary with the three special tokens last', () => {
      const tokens = byteTokens()
      expect(tokens).to.have.length(259)
      expect(tokens[0x41]).to.equal('A')
      expect(tokens[0x20]).to.equal('Ġ')
      expect(tokens[0x0a]).to.equal('Ċ')
      expect(new Set(tokens).size).to.equal(259)
      expect(tokens.slice(256)).to.deep.equal(['<|bos|>', '<|endoftext|>', '<|pad|>'])
    })
  })

  describe('validation before loading', () => {
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

    it('should refuse files that are cut short, not GGUF, or claim absurd sizes', async () => {
      const good = join(dir.path, 'good.gguf')
      await writeTinyModel(good, { quant: 'tq2_0' })
      const size = (await readFile(good)).length
      const cut = join(dir.path, 'cut.gguf')
      await writeFile(cut, await readFile(good))
      await truncate(cut, size - 1000)
      await reject(cut, /ends past the end of the file \(truncated\?\)/)
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
})
