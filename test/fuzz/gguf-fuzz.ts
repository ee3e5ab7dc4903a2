import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { GgufFormatError, readGgufInfo, validateModel, writeTinyModel } from '../../runtimes/gguf/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'

/** A change to a good header: bytes set, cut, inserted or removed, or little-endian counts made huge. */
type Mutation =
  | { readonly kind: 'set', readonly at: number, readonly bytes: Uint8Array }
  | { readonly kind: 'cut', readonly at: number }
  | { readonly kind: 'insert', readonly at: number, readonly bytes: Uint8Array }
  | { readonly kind: 'remove', readonly at: number, readonly count: number }
  | { readonly kind: 'u64', readonly at: number, readonly value: bigint }

const mutation = (): fc.Arbitrary<Mutation> => fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('u64' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })) }))

function mutate (header: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % (header.byteLength + 1)
  switch (m.kind) {
    case 'set': { const out = Uint8Array.from(header); out.set(m.bytes.subarray(0, Math.max(0, out.byteLength - at)), at); return out }
    case 'cut': return header.subarray(0, at)
    case 'insert': return Buffer.concat([header.subarray(0, at), m.bytes, header.subarray(at)])
    case 'remove': return Buffer.concat([header.subarray(0, at), header.subarray(at + m.count)])
    case 'u64': {
      const out = Uint8Array.from(header)
      if (at + 8 <= out.byteLength) new DataView(out.buffer).setBigUint64(at, m.value, true)
      return out
    }
  }
}

/**
 * The GGUF reader and the model check (runtimes/gguf), which every model file a node is given goes
 * through before llama.cpp sees it: the generated tiny model's header with bytes set, cut,
 * inserted, removed, or counts and lengths made huge, or bytes that are not GGUF at all. The file
 * is read and checked, or refused with GgufFormatError: never another error, never a hang, never
 * an allocation a header asks for beyond the reader's limits.
 */
export const ggufFuzz: FuzzTarget = {
  name: 'gguf',
  about: 'GGUF model files (mutated headers of the tiny model, garbage) → read and checked, or GgufFormatError',
  defaultRuns: 2_000,
  async run (options: FuzzOptions) {
    const dir = await tempDir('plexi-fuzz-')
    try {
      const good = join(dir.path, 'good.gguf')
      await writeTinyModel(good, { size: 'tiny', quant: 'f16' })
      const info = await readGgufInfo(good)
      const bytes = await readFile(good)
      const header = bytes.subarray(0, info.dataOffset)
      const file = join(dir.path, 'fuzzed.gguf')
      const input = fc.oneof(
        { weight: 6, arbitrary: fc.array(mutation(), { minLength: 1, maxLength: 4 }).map((ms) => ms.reduce(mutate, header as Uint8Array)) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), b])) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) })
      return await fc.check(fc.asyncProperty(input, async (head) => {
        await writeFile(file, head)
        // the tensor data as long as the good file's (zeros, sparse): a header that only moved keeps its tensors in the file
        await truncate(file, head.byteLength + (bytes.byteLength - header.byteLength))
        try {
          validateModel(file, await readGgufInfo(file))
        } catch (err) {
          if (!(err instanceof GgufFormatError)) throw new Error(`not GgufFormatError: ${String(err)}`, { cause: err })
        }
      }), parameters(options))
    } finally {
      await dir.remove()
    }
  }
}
