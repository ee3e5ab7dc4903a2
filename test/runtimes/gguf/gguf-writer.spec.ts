import { expect } from 'chai'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { readGgufInfo, writeGguf } from '../../../runtimes/gguf/index.ts'
import type { GgufSpec } from '../../../runtimes/gguf/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('writeGguf', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should write every metadata type so that the reader gives back the values written', async () => {
    const path = join(dir.path, 'values.gguf')
    const spec: GgufSpec = {
      metadata: [
        ['u8', { type: 'uint8', value: 255 }], ['i8', { type: 'int8', value: -128 }], ['u16', { type: 'uint16', value: 65_535 }], ['i16', { type: 'int16', value: -2 }],
        ['u32', { type: 'uint32', value: 4_000_000_000 }], ['i32', { type: 'int32', value: -7 }], ['f32', { type: 'float32', value: 0.5 }], ['f64', { type: 'float64', value: 1 / 3 }],
        ['u64', { type: 'uint64', value: 2n ** 63n }], ['i64', { type: 'int64', value: -(2n ** 40n) }], ['yes', { type: 'bool', value: true }], ['text', { type: 'string', value: 'héllo' }],
        ['words', { type: 'array', of: 'string', values: ['a', 'ß', ''] }], ['ints', { type: 'array', of: 'int32', values: [-1, 2] }], ['floats', { type: 'array', of: 'float32', values: [0.25] }]
      ],
      tensors: []
    }
    const { bytes } = await writeGguf(path, spec)
    expect((await stat(path)).size).to.equal(bytes)
    const md = (await readGgufInfo(path)).metadata
    expect([...md.keys()]).to.deep.equal(spec.metadata.map(([key]) => key))
    expect(Object.fromEntries([...md].filter(([, v]) => typeof v !== 'object'))).to.deep.equal({
      u8: 255, i8: -128, u16: 65_535, i16: -2, u32: 4_000_000_000, i32: -7, f32: 0.5, f64: 1 / 3, u64: 2n ** 63n, i64: -(2n ** 40n), yes: true, text: 'héllo'
    })
    expect(md.get('words')).to.deep.include({ length: 3, values: ['a', 'ß', ''] })
    expect(md.get('ints')).to.deep.include({ values: [-1, 2] })
    expect(md.get('floats')).to.deep.include({ values: [0.25] })
  })

  it('should place each tensor\'s data at its offset, padded to the alignment, in info order', async () => {
    const path = join(dir.path, 'tensors.gguf')
    const a = Uint8Array.from({ length: 12 }, (_, i) => i + 1)
    const b = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer)
    await writeGguf(path, { metadata: [['general.alignment', { type: 'uint32', value: 64 }]], alignment: 64, tensors: [{ name: 'a', dims: [6], type: 'F16', data: () => a }, { name: 'b', dims: [4, 2], type: 'F32', data: () => b }] })
    const info = await readGgufInfo(path)
    expect(info.alignment).to.equal(64)
    expect(info.dataOffset % 64).to.equal(0)
    expect(info.tensors.map((t) => [t.name, t.dims, t.offset])).to.deep.equal([['a', [6], 0], ['b', [4, 2], 64]])
    const file = await readFile(path)
    const start = info.dataOffset
    expect(Array.from(file.subarray(start, start + 12))).to.deep.equal(Array.from(a))
    expect(Array.from(file.subarray(start + 12, start + 64)).every((byte) => byte === 0)).to.equal(true)
    expect(Array.from(file.subarray(start + 64, start + 96))).to.deep.equal(Array.from(b))
  })

  it('should refuse a row length that is not whole blocks, and data of the wrong size', async () => {
    const path = join(dir.path, 'bad.gguf')
    const rows = await writeGguf(path, { metadata: [], tensors: [{ name: 't', dims: [100], type: 'TQ2_0', data: () => new Uint8Array(0) }] }).then(() => null, (e: unknown) => e as Error)
    expect(rows).to.be.instanceOf(RangeError)
    expect(rows?.message).to.equal('tensor t: row length 100 is not a multiple of TQ2_0\'s block size 256')
    const size = await writeGguf(path, { metadata: [], tensors: [{ name: 't', dims: [4], type: 'F32', data: () => new Uint8Array(15) }] }).then(() => null, (e: unknown) => e as Error)
    expect(size?.message).to.equal('tensor t: 15 bytes of data, expected 16')
  })
})

