import { expect } from 'chai'
import { join } from 'node:path'
import { LlamaLogLevel, getLlama } from 'node-llama-cpp'
import type { Token } from 'node-llama-cpp'
import { PieceDecoder } from '../../../runtimes/llama/piece-decoder.ts'
import { writeTinyModel } from '../../../runtimes/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

/** A byte-level vocabulary (token = byte) decoded the way llama.cpp does: an incomplete or invalid
 * UTF-8 sequence becomes U+FFFD. */
const bytes = (tokens: readonly number[]): string => new TextDecoder().decode(Uint8Array.from(tokens))

function decodeAll<T> (decoder: PieceDecoder<T>, tokens: readonly T[]): string[] {
  const pieces = tokens.map((token) => decoder.push(token)).filter((piece) => piece !== '')
  const rest = decoder.flush()
  return rest === '' ? pieces : [...pieces, rest]
}

describe('PieceDecoder', () => {
  const text = 'héllo € 😀 日本 ok'
  const utf8 = [...new TextEncoder().encode(text)]

  it('should never split a character when it arrives one byte per token', () => {
    const pieces = decodeAll(new PieceDecoder<number>(bytes), utf8)
    expect(pieces.join('')).to.equal(text)
    expect(pieces.some((piece) => piece.includes('\uFFFD'))).to.equal(false)
    expect(pieces).to.include.members(['é', '€', '😀', '日', '本'])
  })

  it('should keep characters whole when tokens of several bytes split them', () => {
    const tokens: number[][] = []
    for (let i = 0; i < utf8.length; i += 3) tokens.push(utf8.slice(i, i + 3))
    const pieces = decodeAll(new PieceDecoder<number[]>((held) => bytes(held.flat())), tokens)
    expect(pieces.join('')).to.equal(text)
    expect(pieces.some((piece) => piece.includes('\uFFFD'))).to.equal(false)
  })

  it('should release an invalid byte as U+FFFD when the bytes after it cannot complete it', () => {
    const pieces = decodeAll(new PieceDecoder<number>(bytes), [0x61, 0x80, 0x62, 0xe2, 0x82])
    expect(pieces.join('')).to.equal('a\uFFFDb\uFFFD')
    expect(pieces[0]).to.equal('a')
  })

  it('should decode the generated model\'s byte tokens of multi-byte text without U+FFFD', async function () {
    this.timeout(30_000)
    const dir = await tempDir()
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
    try {
      const file = join(dir.path, 'tiny.gguf')
      await writeTinyModel(file, { size: 'tiny', quant: 'f16' })
      const model = await llama.loadModel({ modelPath: file })
      const tokens = model.tokenize(text)
      expect(tokens).to.have.length(utf8.length)   // byte-level: one token per byte
      const pieces = decodeAll(new PieceDecoder<Token>((held, last) => model.detokenize(held, false, last)), tokens)
      expect(pieces.join('')).to.equal(text)
      expect(pieces.some((piece) => piece.includes('\uFFFD'))).to.equal(false)
    } finally {
      await llama.dispose()
      await dir.remove()
    }
  })
})
