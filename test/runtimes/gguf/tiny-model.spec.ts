import { expect } from 'chai'
import { join } from 'node:path'
import { getLlama } from 'node-llama-cpp'
import type { Llama } from 'node-llama-cpp'
import { BOS_ID, EOS_ID, readGgufInfo, validateModel, writeTinyModel } from '../../../runtimes/gguf/index.ts'
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
