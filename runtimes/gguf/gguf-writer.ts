import { open } from 'node:fs/promises'
import { DEFAULT_ALIGNMENT, GGML_TYPES, GGUF_MAGIC, GGUF_VERSION, VALUE_TYPES, alignUp, tensorBytes } from './gguf-format.ts'
import type { GgmlTypeName, ValueTypeName } from './gguf-format.ts'

/** A metadata value and the GGUF type it is written as. */
export type GgufValue =
  | { readonly type: 'uint32' | 'int32' | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16', readonly value: number }
  | { readonly type: 'uint64' | 'int64', readonly value: bigint }
  | { readonly type: 'float64', readonly value: number }
  | { readonly type: 'bool', readonly value: boolean }
  | { readonly type: 'string', readonly value: string }
  | { readonly type: 'array', readonly of: 'string', readonly values: readonly string[] }
  | { readonly type: 'array', readonly of: 'int32' | 'uint32' | 'float32', readonly values: readonly number[] }

export interface TensorSpec {
  readonly name: string
  /** ggml order: dims[0] is the row length (contiguous). */
  readonly dims: readonly number[]
  readonly type: GgmlTypeName
  /** Produces the tensor's bytes when it is written (one tensor in memory at a time). */
  readonly data: () => Uint8Array
}

export interface GgufSpec {
  readonly metadata: ReadonlyArray<readonly [string, GgufValue]>
  readonly tensors: readonly TensorSpec[]
  readonly alignment?: number
}

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos, padding, then each tensor's data padded to
 * the alignment, in info order (llama.cpp checks offsets strictly in that order).
 */
export async function writeGguf (path: string, spec: GgufSpec): Promise<{ bytes: number }> {
  const alignment = spec.alignment ?? DEFAULT_ALIGNMENT
  const header = new ByteWriter()
  header.u32(GGUF_MAGIC)
  header.u32(GGUF_VERSION)
  header.u64(BigInt(spec.tensors.length))
  header.u64(BigInt(spec.metadata.length))
  for (const [key, value] of spec.metadata) {
    header.string(key)
    writeValue(header, value)
  }
  let offset = 0
  const sizes: number[] = []
  for (const tensor of spec.tensors) {
    const type = GGML_TYPES[tensor.type]
    const elements = tensor.dims.reduce((a, b) => a * b, 1)
    if ((tensor.dims[0] ?? 0) % type.blockSize !== 0) {
      throw new RangeError(`tensor ${tensor.name}: row length ${tensor.dims[0]} is not a multiple of ${tensor.type}'s block size ${type.blockSize}`)
    }
    const size = tensorBytes(type, elements)
    header.string(tensor.name)
    header.u32(tensor.dims.length)
    for (const dim of tensor.dims) header.u64(BigInt(dim))
    header.u32(type.id)
    header.u64(BigInt(offset))
    sizes.push(size)
    offset = alignUp(offset + size, alignment)
  }
  header.pad(alignment)
  const file = await open(path, 'w')
  let written = 0
  try {
    const head = header.bytes()
    await file.write(head)
    written += head.length
    for (const [i, tensor] of spec.tensors.entries()) {
      const data = tensor.data()
      if (data.byteLength !== sizes[i]) throw new RangeError(`tensor ${tensor.name}: ${data.byteLength} bytes of data, expected ${sizes[i]}`)
      await file.write(data)
      const padding = alignUp(data.byteLength, alignment) - data.byteLength
      if (padding > 0) await file.write(new Uint8Array(padding))
      written += data.byteLength + padding
    }
  } finally {
    await file.close()
  }
  return { bytes: written }
}

function writeValue (out: ByteWriter, value: GgufValue): void {
  out.u32(VALUE_TYPES[value.type as ValueTypeName])
  switch (value.type) {
    case 'uint8': out.u8(value.value); return
    case 'int8': out.i8(value.value); return
    case 'uint16': out.u16(value.value); return
    case 'int16': out.i16(value.value); return
    case 'uint32': out.u32(value.value); return
    case 'int32': out.i32(value.value); return
    case 'float32': out.f32(value.value); return
    case 'float64': out.f64(value.value); return
    case 'uint64': out.u64(value.value); return
    case 'int64': out.i64(value.value); return
    case 'bool': out.u8(value.value ? 1 : 0); return
    case 'string': out.string(value.value); return
    case 'array':
      out.u32(VALUE_TYPES[value.of])
      out.u64(BigInt(value.values.length))
      for (const item of value.values) {
        if (value.of === 'string') out.string(item as string)
        else if (value.of === 'int32') out.i32(item as number)
        else if (value.of === 'uint32') out.u32(item as number)
        else out.f32(item as number)
      }
  }
}

/** A growable little-endian byte buffer. */
class ByteWriter {
  #buffer = new Uint8Array(1024)
  #view = new DataView(this.#buffer.buffer)
  #length = 0
  readonly #encoder = new TextEncoder()

  #room (n: number): number {
    if (this.#length + n > this.#buffer.length) {
      const next = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + n))
      next.set(this.#buffer.subarray(0, this.#length))
      this.#buffer = next
      this.#view = new DataView(next.buffer)
    }
    const at = this.#length
    this.#length += n
    return at
  }

  // the position first: #room() may replace the buffer and its view
  u8 (v: number): void { const at = this.#room(1); this.#view.setUint8(at, v) }
  i8 (v: number): void { const at = this.#room(1); this.#view.setInt8(at, v) }
  u16 (v: number): void { const at = this.#room(2); this.#view.setUint16(at, v, true) }
  i16 (v: number): void { const at = this.#room(2); this.#view.setInt16(at, v, true) }
  u32 (v: number): void { const at = this.#room(4); this.#view.setUint32(at, v, true) }
  i32 (v: number): void { const at = this.#room(4); this.#view.setInt32(at, v, true) }
  f32 (v: number): void { const at = this.#room(4); this.#view.setFloat32(at, v, true) }
  f64 (v: number): void { const at = this.#room(8); this.#view.setFloat64(at, v, true) }
  u64 (v: bigint): void { const at = this.#room(8); this.#view.setBigUint64(at, v, true) }
  i64 (v: bigint): void { const at = this.#room(8); this.#view.setBigInt64(at, v, true) }

  /** u64 byte length, then UTF-8 bytes, no NUL. */
  string (s: string): void {
    const bytes = this.#encoder.encode(s)
    this.u64(BigInt(bytes.length))
    const at = this.#room(bytes.length)
    this.#buffer.set(bytes, at)
  }

  pad (alignment: number): void {
    this.#room(alignUp(this.#length, alignment) - this.#length)
  }

  bytes (): Uint8Array { return this.#buffer.slice(0, this.#length) }
}
