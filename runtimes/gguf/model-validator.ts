import { alignUp, ggmlTypeById, tensorBytes } from './gguf-format.ts'
import { GgufFormatError } from './gguf-errors.ts'
import type { GgufInfo, GgufReadValue, GgufTensorInfo } from './gguf-reader.ts'

/** What the registry shows about a model, read from its GGUF without loading it. */
export interface ModelFacts {
  readonly architecture: string
  readonly name: string
  readonly contextLength: number
  readonly embeddingLength: number
  readonly blockCount: number
  readonly headCount: number
  readonly feedForwardLength: number
  readonly vocabSize: number
  /** The most common type among the weight matrices (F16, TQ2_0, Q4_K, ...). */
  readonly quantization: string
  readonly parameters: number
  readonly fileBytes: number
}

const TOKENIZERS = ['gpt2', 'llama', 'bert', 't5', 'rwkv', 'plamo2'] as const

/** The hyperparameters llama.cpp asserts on. */
interface Shape {
  readonly arch: string
  readonly contextLength: number
  readonly embeddingLength: number
  readonly blockCount: number
  readonly feedForwardLength: number
  readonly headCount: number
  readonly headCountKv: number
  readonly headDim: number
}

/** Throws GgufFormatError saying why the file is refused. */
type Fail = (why: string) => never

/**
 * Checks, before llama.cpp ever sees the file, everything whose absence or inconsistency makes
 * llama.cpp abort the process (a GGML_ASSERT kills every worker thread with it) or read out of
 * bounds: the keys it asserts on, the tokenizer, every tensor's type, shape, offset and extent, and
 * for the llama architecture the presence and shape of every tensor it needs.
 */
export function validateModel (path: string, info: GgufInfo): ModelFacts {
  const fail: Fail = (why) => { throw new GgufFormatError(path, why) }
  const md = info.metadata
  const shape = readShape(md, fail)
  const vocabSize = checkTokenizer(md, fail)
  checkAttention(md, shape, fail)
  const { byName, parameters, quantization } = checkTensors(info, fail)
  if (shape.arch === 'llama') checkLlamaTensors(byName, shape, vocabSize, fail)
  const name = md.get('general.name')
  return {
    architecture: shape.arch,
    name: typeof name === 'string' ? name : '',
    contextLength: shape.contextLength,
    embeddingLength: shape.embeddingLength,
    blockCount: shape.blockCount,
    headCount: shape.headCount,
    feedForwardLength: shape.feedForwardLength,
    vocabSize,
    quantization,
    parameters,
    fileBytes: info.fileSize
  }
}

function readShape (md: GgufInfo['metadata'], fail: Fail): Shape {
  const architecture = md.get('general.architecture')
  if (typeof architecture !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(architecture)) fail('general.architecture is missing or not a name')
  const arch = architecture as string
  const positive = (key: string): number => {
    const value = md.get(key)
    const n = typeof value === 'bigint' ? Number(value) : value
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return fail(`${key} is missing or not a positive integer (llama.cpp aborts without it)`)
    return n
  }
  const contextLength = positive(`${arch}.context_length`)
  const embeddingLength = positive(`${arch}.embedding_length`)
  const blockCount = positive(`${arch}.block_count`)
  const feedForwardLength = positive(`${arch}.feed_forward_length`)
  const headCount = positive(`${arch}.attention.head_count`)
  const headCountKv = md.has(`${arch}.attention.head_count_kv`) ? positive(`${arch}.attention.head_count_kv`) : headCount
  return { arch, contextLength, embeddingLength, blockCount, feedForwardLength, headCount, headCountKv, headDim: embeddingLength / headCount }
}

/** The norm's epsilon, the heads dividing the embedding, the rotary width: what attention asserts on. */
function checkAttention (md: GgufInfo['metadata'], { arch, embeddingLength, headCount, headCountKv, headDim }: Shape, fail: Fail): void {
  const epsilon = md.get(`${arch}.attention.layer_norm_rms_epsilon`)
  if (arch === 'llama' && (typeof epsilon !== 'number' || !(epsilon > 0))) fail(`${arch}.attention.layer_norm_rms_epsilon is missing or not a positive number`)
  if (embeddingLength % headCount !== 0) fail(`embedding length ${embeddingLength} is not a multiple of the head count ${headCount}`)
  if (headCount % headCountKv !== 0) fail(`head count ${headCount} is not a multiple of the key/value head count ${headCountKv}`)
  const rope = md.get(`${arch}.rope.dimension_count`)
  if (arch === 'llama' && rope !== undefined && rope !== headDim) fail(`${arch}.rope.dimension_count is ${String(rope)}; it must equal the head dimension ${headDim}`)
}

/** The tokenizer's model, tokens, merges, token types and special ids; its vocabulary size. */
function checkTokenizer (md: GgufInfo['metadata'], fail: Fail): number {
  const tokenizer = md.get('tokenizer.ggml.model')
  if (typeof tokenizer !== 'string' || !(TOKENIZERS as readonly string[]).includes(tokenizer)) {
    fail(`tokenizer.ggml.model is ${JSON.stringify(tokenizer ?? null)}; expected one of ${TOKENIZERS.join(', ')}`)
  }
  const tokens = arrayOf(md.get('tokenizer.ggml.tokens'))
  if (tokens === undefined || tokens.length === 0 || !tokens.values.every((t) => typeof t === 'string')) fail('tokenizer.ggml.tokens is missing or not a list of strings')
  const vocabSize = (tokens as { length: number }).length
  if (tokenizer === 'gpt2' && arrayOf(md.get('tokenizer.ggml.merges')) === undefined) fail('tokenizer.ggml.merges is missing (required by the gpt2 tokenizer)')
  const tokenTypes = arrayOf(md.get('tokenizer.ggml.token_type'))
  if (tokenTypes !== undefined && tokenTypes.length !== vocabSize) fail(`tokenizer.ggml.token_type has ${tokenTypes.length} entries for ${vocabSize} tokens`)
  for (const key of ['tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.padding_token_id']) {
    const id = md.get(key)
    if (id !== undefined && (typeof id !== 'number' || id < 0 || id >= vocabSize)) fail(`${key} ${String(id)} is not a token id (vocabulary of ${vocabSize})`)
  }
  return vocabSize
}

/** Tensors: known types, whole blocks, offsets exactly where llama.cpp expects them, inside the
 * file; with the parameter count and the most common type among the weight matrices. */
function checkTensors (info: GgufInfo, fail: Fail): { byName: Map<string, GgufTensorInfo>, parameters: number, quantization: string } {
  const byName = new Map<string, GgufTensorInfo>()
  let expectedOffset = 0
  let parameters = 0
  const typeCounts = new Map<string, number>()
  for (const tensor of info.tensors) {
    if (byName.has(tensor.name)) fail(`tensor ${tensor.name} appears twice`)
    byName.set(tensor.name, tensor)
    const type = ggmlTypeById(tensor.type)
    if (type === undefined) fail(`tensor ${tensor.name} has unknown ggml type ${tensor.type}`)
    const t = type as NonNullable<typeof type>
    if (tensor.dims.some((d) => d < 1)) fail(`tensor ${tensor.name} has an empty dimension`)
    if ((tensor.dims[0] as number) % t.blockSize !== 0) fail(`tensor ${tensor.name}: row length ${tensor.dims[0]} is not a multiple of ${t.name}'s block size ${t.blockSize}`)
    const elements = tensor.dims.reduce((a, b) => a * b, 1)
    if (tensor.offset !== expectedOffset) fail(`tensor ${tensor.name} has offset ${tensor.offset}, expected ${expectedOffset}`)
    const bytes = tensorBytes(t, elements)
    if (info.dataOffset + tensor.offset + bytes > info.fileSize) fail(`tensor ${tensor.name} ends past the end of the file (truncated?)`)
    expectedOffset = alignUp(tensor.offset + bytes, info.alignment)
    parameters += elements
    if (tensor.dims.length === 2 && tensor.name.startsWith('blk.')) typeCounts.set(t.name, (typeCounts.get(t.name) ?? 0) + 1)
  }
  const quantization = [...typeCounts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown'
  return { byName, parameters, quantization }
}

/** Every tensor the llama architecture needs, with its shape. */
function checkLlamaTensors (byName: ReadonlyMap<string, GgufTensorInfo>, shape: Shape, vocabSize: number, fail: Fail): void {
  const { embeddingLength, feedForwardLength, headCount, headCountKv, headDim } = shape
  const need = (name: string, dims: number[], optional = false): void => {
    const tensor = byName.get(name)
    if (tensor === undefined) {
      if (!optional) fail(`tensor ${name} is missing`)
      return
    }
    if (tensor.dims.length !== dims.length || tensor.dims.some((d, i) => d !== dims[i])) {
      fail(`tensor ${name} has shape [${tensor.dims.join(', ')}], expected [${dims.join(', ')}]`)
    }
  }
  need('token_embd.weight', [embeddingLength, vocabSize])
  need('output_norm.weight', [embeddingLength])
  need('output.weight', [embeddingLength, vocabSize], true)
  for (let i = 0; i < shape.blockCount; i++) {
    need(`blk.${i}.attn_norm.weight`, [embeddingLength])
    need(`blk.${i}.attn_q.weight`, [embeddingLength, headCount * headDim])
    need(`blk.${i}.attn_k.weight`, [embeddingLength, headCountKv * headDim])
    need(`blk.${i}.attn_v.weight`, [embeddingLength, headCountKv * headDim])
    need(`blk.${i}.attn_output.weight`, [headCount * headDim, embeddingLength])
    need(`blk.${i}.ffn_norm.weight`, [embeddingLength])
    need(`blk.${i}.ffn_gate.weight`, [embeddingLength, feedForwardLength])
    need(`blk.${i}.ffn_up.weight`, [embeddingLength, feedForwardLength])
    need(`blk.${i}.ffn_down.weight`, [feedForwardLength, embeddingLength])
  }
}

function arrayOf (value: GgufReadValue | undefined): { length: number, values: ReadonlyArray<unknown> } | undefined {
  return typeof value === 'object' && value !== null && 'arrayOf' in value ? value : undefined
}
