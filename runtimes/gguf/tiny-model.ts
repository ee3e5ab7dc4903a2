import { FILE_TYPES } from './gguf-format.ts'
import { TERNARY_BLOCK, TQ1_0_BYTES, TQ2_0_BYTES, packTq1, packTq2 } from './ternary.ts'
import { writeGguf } from './gguf-writer.ts'
import type { GgufSpec, GgufValue, TensorSpec } from './gguf-writer.ts'

/**
 * The project's own test model: a llama-architecture GGUF with random (seeded) weights and a
 * byte-level tokenizer, written by our own GGUF writer. Nothing is downloaded, and the same seed
 * always gives the same bytes.
 *
 * Random weights write random bytes, which are mostly not printable and often not UTF-8. So that
 * the model writes only printable ASCII (0x20-0x7e) at any temperature, dimension 0 of the
 * residual stream is a constant channel: every token embedding holds BIAS there, no layer reads
 * it (the norms weigh it 0) or writes it (the output projections' row 0 is zero), so after the
 * final norm it is always large and positive; every token that must never be written (the other
 * bytes, BOS, PAD) has -BAN at dimension 0 of its output row, which puts its logit far below all
 * the others whatever the context (docs/models.md, The test model). The end-of-text token keeps a
 * logit of exactly 0, below the best printable one, so greedy output does not stop early.
 */

/** The constant channel's value in every token embedding (the others have standard deviation 1). */
const BIAS = 16
/** How strongly a token that must never be written is pushed down, per unit of the channel. */
const BAN = 8

export const MODEL_SIZES = {
  tiny: { embd: 256, layers: 4, heads: 4, ff: 768 },
  '25m': { embd: 512, layers: 8, heads: 8, ff: 1536 },
  /** For GPUs: large enough that a GPU's speed shows (226 MB in f16). */
  '100m': { embd: 768, layers: 12, heads: 12, ff: 3072 },
  /** About 0.9 GB in f16. */
  '500m': { embd: 1536, layers: 16, heads: 16, ff: 4096 }
} as const
export type ModelSize = keyof typeof MODEL_SIZES
export const MODEL_QUANTS = ['f16', 'tq2_0', 'tq1_0'] as const
export type ModelQuant = typeof MODEL_QUANTS[number]

/** 256 byte tokens + <|bos|>, <|endoftext|> (EOS), <|pad|>. */
export const VOCAB_SIZE = 259
export const BOS_ID = 256
export const EOS_ID = 257
export const PAD_ID = 258
/** Rotary embeddings do not care for random weights; a long context leaves room for conversations
 * (byte-level: one token per byte of text). */
export const CONTEXT_LENGTH = 2048
export const DEFAULT_SEED = 1

export interface TinyModelOptions {
  readonly size?: ModelSize
  readonly quant?: ModelQuant
  readonly seed?: number
}

/** The default file name: `plexi-<size>-<quant>.gguf`. */
export function tinyModelFileName (size: ModelSize = 'tiny', quant: ModelQuant = 'f16'): string {
  return `plexi-${size}-${quant}.gguf`
}

export async function writeTinyModel (path: string, options: TinyModelOptions = {}): Promise<{ bytes: number, parameters: number }> {
  const { spec, parameters } = tinyModelSpec(options)
  const { bytes } = await writeGguf(path, spec)
  return { bytes, parameters }
}

/** The model as a GGUF spec (metadata and lazily generated tensors), before writing. */
export function tinyModelSpec (options: TinyModelOptions = {}): { spec: GgufSpec, parameters: number } {
  const size = options.size ?? 'tiny'
  const quant = options.quant ?? 'f16'
  const seed = options.seed ?? DEFAULT_SEED
  if (!Object.hasOwn(MODEL_SIZES, size)) throw new RangeError(`model size must be one of ${Object.keys(MODEL_SIZES).join(', ')}, got ${JSON.stringify(size)}`)
  if (!(MODEL_QUANTS as readonly string[]).includes(quant)) throw new RangeError(`quant must be one of ${MODEL_QUANTS.join(', ')}, got ${JSON.stringify(quant)}`)
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer >= 0, got ${seed}`)
  const tensors = tinyModelTensors(MODEL_SIZES[size], quant, seed)
  const parameters = tensors.reduce((sum, tensor) => sum + tensor.dims.reduce((a, b) => a * b, 1), 0)
  return { spec: { metadata: tinyModelMetadata(size, quant, seed), tensors }, parameters }
}

type Shape = typeof MODEL_SIZES[ModelSize]

function tinyModelTensors (shape: Shape, quant: ModelQuant, seed: number): TensorSpec[] {
  const headDim = shape.embd / shape.heads
  const tensors: TensorSpec[] = []
  /** `rows` outputs of `cols` inputs; `writesChannel` false: its output row 0 is zero, so the
   * layer leaves the constant channel as it is. */
  const linear = (name: string, cols: number, rows: number, writesChannel = true): void => {
    const sigma = 1 / Math.sqrt(cols)
    const zeroRows = writesChannel ? 0 : 1
    if (quant === 'f16') {
      tensors.push({ name, dims: [cols, rows], type: 'F16', data: () => f16Bytes(uniform(seed, name, cols * rows, sigma).fill(0, 0, zeroRows * cols)) })
    } else {
      tensors.push({ name, dims: [cols, rows], type: quant === 'tq2_0' ? 'TQ2_0' : 'TQ1_0', data: () => ternaryBytes(seed, name, cols * rows, sigma, quant, zeroRows * cols) })
    }
  }
  const norm = (name: string, n: number, readsChannel: boolean): void => {
    tensors.push({ name, dims: [n], type: 'F32', data: () => f32Bytes(new Float32Array(n).fill(1).fill(readsChannel ? 1 : 0, 0, 1)) })
  }
  tensors.push({ name: 'token_embd.weight', dims: [shape.embd, VOCAB_SIZE], type: 'F16', data: () => embeddingBytes(seed, shape.embd) })
  for (let i = 0; i < shape.layers; i++) {
    norm(`blk.${i}.attn_norm.weight`, shape.embd, false)
    linear(`blk.${i}.attn_q.weight`, shape.embd, shape.heads * headDim)
    linear(`blk.${i}.attn_k.weight`, shape.embd, shape.heads * headDim)
    linear(`blk.${i}.attn_v.weight`, shape.embd, shape.heads * headDim)
    linear(`blk.${i}.attn_output.weight`, shape.heads * headDim, shape.embd, false)
    norm(`blk.${i}.ffn_norm.weight`, shape.embd, false)
    linear(`blk.${i}.ffn_gate.weight`, shape.embd, shape.ff)
    linear(`blk.${i}.ffn_up.weight`, shape.embd, shape.ff)
    linear(`blk.${i}.ffn_down.weight`, shape.ff, shape.embd, false)
  }
  norm('output_norm.weight', shape.embd, true)
  tensors.push({ name: 'output.weight', dims: [shape.embd, VOCAB_SIZE], type: 'F16', data: () => outputBytes(seed, shape.embd) })
  return tensors
}

/** Token embeddings: standard deviation 1, and BIAS in the constant channel. */
function embeddingBytes (seed: number, embd: number): Uint8Array {
  const values = uniform(seed, 'token_embd.weight', embd * VOCAB_SIZE, 1)
  for (let token = 0; token < VOCAB_SIZE; token++) values[token * embd] = BIAS
  return f16Bytes(values)
}

/** The output projection: printable tokens read nothing of the constant channel; every other
 * token but EOS reads -BAN of it, and EOS reads nothing at all. */
function outputBytes (seed: number, embd: number): Uint8Array {
  const values = uniform(seed, 'output.weight', embd * VOCAB_SIZE, 1 / Math.sqrt(embd))
  for (let token = 0; token < VOCAB_SIZE; token++) {
    const row = token * embd
    if (isPrintable(token)) {
      values[row] = 0   // the channel adds nothing to what may be written
      continue
    }
    values.fill(0, row, row + embd)
    if (token !== EOS_ID) values[row] = -BAN   // never written; EOS keeps a logit of exactly 0
  }
  return f16Bytes(values)
}

/** The GGUF metadata: a declarative table of llama.cpp's keys. */
function tinyModelMetadata (size: ModelSize, quant: ModelQuant, seed: number): Array<readonly [string, GgufValue]> {
  const shape = MODEL_SIZES[size]
  return [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `plexi-${size}-${quant}` }],
    ['general.file_type', { type: 'uint32', value: quant === 'f16' ? FILE_TYPES.F16 : quant === 'tq2_0' ? FILE_TYPES.TQ2_0 : FILE_TYPES.TQ1_0 }],
    ['general.quantization_version', { type: 'uint32', value: 2 }],
    ['general.alignment', { type: 'uint32', value: 32 }],
    ['plexi.seed', { type: 'uint32', value: seed % 2 ** 32 }],
    ['llama.context_length', { type: 'uint32', value: CONTEXT_LENGTH }],
    ['llama.embedding_length', { type: 'uint32', value: shape.embd }],
    ['llama.block_count', { type: 'uint32', value: shape.layers }],
    ['llama.feed_forward_length', { type: 'uint32', value: shape.ff }],
    ['llama.attention.head_count', { type: 'uint32', value: shape.heads }],
    ['llama.attention.head_count_kv', { type: 'uint32', value: shape.heads }],
    ['llama.rope.dimension_count', { type: 'uint32', value: shape.embd / shape.heads }],
    ['llama.rope.freq_base', { type: 'float32', value: 10_000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: 1e-5 }],
    ['llama.vocab_size', { type: 'uint32', value: VOCAB_SIZE }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    // a pre-tokenizer without clean_spaces, so that detokenizing keeps spaces exactly (llama.md pitfall 7)
    ['tokenizer.ggml.pre', { type: 'string', value: 'smollm' }],
    ['tokenizer.ggml.tokens', { type: 'array', of: 'string', values: byteTokens() }],
    ['tokenizer.ggml.token_type', { type: 'array', of: 'int32', values: Array.from({ length: VOCAB_SIZE }, (_, i) => (i < 256 ? 1 : 3)) }],
    ['tokenizer.ggml.merges', { type: 'array', of: 'string', values: [] }],
    ['tokenizer.ggml.bos_token_id', { type: 'uint32', value: BOS_ID }],
    ['tokenizer.ggml.eos_token_id', { type: 'uint32', value: EOS_ID }],
    ['tokenizer.ggml.padding_token_id', { type: 'uint32', value: PAD_ID }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }]
  ]
}

/** The bytes the test model may write: printable ASCII, space to tilde. */
export function isPrintable (token: number): boolean {
  return token >= 0x20 && token <= 0x7e
}

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other 68 map in order to
 * U+0100 and up (space is "Ġ", newline "Ċ"), then the three special tokens. */
export function byteTokens (): string[] {
  const tokens: string[] = []
  let next = 256
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)
    tokens.push(String.fromCodePoint(printable ? b : next++))
  }
  return [...tokens, '<|bos|>', '<|endoftext|>', '<|pad|>']
}

/** xorshift32 seeded from (seed, tensor name): each tensor's values depend on nothing else. */
function generator (seed: number, name: string): () => number {
  let h = 0x811c9dc5 ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)
  for (const ch of `${name}`) {
    h ^= ch.charCodeAt(0)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  let state = h === 0 ? 0x9e3779b9 : h
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 2 ** 32
  }
}

/** Uniform values with standard deviation `sigma`. */
function uniform (seed: number, name: string, n: number, sigma: number): Float32Array {
  const next = generator(seed, name)
  const a = sigma * Math.sqrt(3)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * a
  return out
}

/** Ternary weights, a third each of -1, 0 and +1, with a per-block scale chosen so that the
 * weights' standard deviation is `sigma` (E[t²] = 2/3); the first `zeros` weights are 0 (whole
 * blocks: rows are multiples of 256 long). */
function ternaryBytes (seed: number, name: string, n: number, sigma: number, quant: 'tq2_0' | 'tq1_0', zeros = 0): Uint8Array {
  const next = generator(seed, name)
  const blockBytes = quant === 'tq2_0' ? TQ2_0_BYTES : TQ1_0_BYTES
  const out = new Uint8Array((n / TERNARY_BLOCK) * blockBytes)
  const trits = new Int8Array(TERNARY_BLOCK)
  for (let block = 0; block < n / TERNARY_BLOCK; block++) {
    for (let k = 0; k < TERNARY_BLOCK; k++) trits[k] = Math.min(2, Math.floor(next() * 3)) - 1
    if (block * TERNARY_BLOCK < zeros) trits.fill(0)
    const d = sigma / Math.sqrt(2 / 3) * (0.75 + next() * 0.5)
    if (quant === 'tq2_0') packTq2(trits, d, out, block * blockBytes)
    else packTq1(trits, d, out, block * blockBytes)
  }
  return out
}

function f16Bytes (values: Float32Array): Uint8Array {
  return new Uint8Array(Float16Array.from(values).buffer)
}

function f32Bytes (values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
}

