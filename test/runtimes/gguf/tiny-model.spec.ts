import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getLlama } from 'node-llama-cpp'
import type { Llama } from 'node-llama-cpp'
import { BOS_ID, EOS_ID, byteTokens, readGgufInfo, tinyModelFileName, tinyModelSpec, validateModel, writeTinyModel } from '../../../runtimes/gguf/index.ts'
import type { ModelQuant, ModelSize } from '../../../runtimes/gguf/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

/** Greedy tokens (or sampled ones, with `sampling`) from real llama.cpp (CPU, threads = 1) on a
 * generated model. */
async function greedy (llama: Llama, path: string, count: number, sampling?: { temperature: number, seed: number }): Promise<{ tokens: number[], text: string }> {
  const model = await llama.loadModel({ modelPath: path })
  try {
    const context = await model.createContext({ contextSize: 256, threads: 1 })
    try {
      const sequence = context.getSequence()
      const prompt = [BOS_ID as never, ...model.tokenize('The plexi node says')]
      const tokens: number[] = []
      const options = sampling === undefined ? { temperature: 0 } : { temperature: sampling.temperature, topK: 0, topP: 1, seed: sampling.seed }
      for await (const token of sequence.evaluate(prompt, { ...options, yieldEogToken: true })) {
        tokens.push(token as number)
        if (tokens.length === count) break
      }
      return { tokens, text: model.detokenize(tokens as never[]) }
    } finally {
      await context.dispose()
    }
  } finally {
    await model.dispose()
  }
}

describe('writeTinyModel', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')

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

  it('should name its file after size and quantization, and refuse a size, quantization or seed it does not make', () => {
    expect(tinyModelFileName()).to.equal('plexi-tiny-f16.gguf')
    expect(tinyModelFileName('25m', 'tq1_0')).to.equal('plexi-25m-tq1_0.gguf')
    expect(() => tinyModelSpec({ size: 'huge' as never })).to.throw(RangeError, /model size must be one of tiny, 25m/)
    expect(() => tinyModelSpec({ quant: 'q4' as never })).to.throw(RangeError, /quant must be one of f16, tq2_0, tq1_0/)
    expect(() => tinyModelSpec({ seed: -1 })).to.throw(RangeError, /seed must be an integer >= 0/)
  })
})

describe('generated models in llama.cpp', function () {
  this.timeout(120_000)
  let llama: Llama
  let dir: { path: string, remove: () => Promise<void> }
  before(async () => {
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never })
    dir = await tempDir()
  })
  after(async () => {
    await llama?.dispose()
    await dir?.remove()
  })

  const variants: Array<[ModelSize, ModelQuant]> = [['tiny', 'f16'], ['tiny', 'tq2_0'], ['tiny', 'tq1_0'], ['25m', 'f16'], ['25m', 'tq2_0'], ['25m', 'tq1_0']]
  const outputs = new Map<string, number[]>()

  for (const [size, quant] of variants) {
    it(`should load ${size} ${quant} and generate printable ASCII greedily without stopping early`, async () => {
      const path = join(dir.path, `${size}-${quant}.gguf`)
      await writeTinyModel(path, { size, quant })
      validateModel(path, await readGgufInfo(path))
      const { tokens, text } = await greedy(llama, path, 48)
      expect(tokens).to.have.length(48)
      expect(tokens.every((t) => t >= 0x20 && t <= 0x7e), text).to.equal(true)
      expect(text).to.match(/^[\x20-\x7e]{48}$/)
      outputs.set(`${size}-${quant}`, tokens)
    })
  }

  it('should write only printable ASCII however hot the sampling, for every size and quantization', async () => {
    for (const [size, quant] of variants) {
      const path = join(dir.path, `${size}-${quant}.gguf`)
      for (const [temperature, seed] of [[2, 1], [2, 2], [1, 3]] as const) {
        const { tokens, text } = await greedy(llama, path, 200, { temperature, seed })
        // printable bytes only, or an end of text (which ends the answer)
        const written = tokens.slice(0, tokens.includes(EOS_ID) ? tokens.indexOf(EOS_ID) : tokens.length)
        expect(written.every((t) => t >= 0x20 && t <= 0x7e), `${size} ${quant} at ${temperature}: ${JSON.stringify(text)}`).to.equal(true)
      }
    }
  })

  it('should give the same greedy tokens for TQ2_0 and TQ1_0 of the same weights', () => {
    for (const size of ['tiny', '25m']) {
      expect(outputs.get(`${size}-tq2_0`), size).to.have.length(48)
      expect(outputs.get(`${size}-tq2_0`), size).to.deep.equal(outputs.get(`${size}-tq1_0`))
    }
  })
})
