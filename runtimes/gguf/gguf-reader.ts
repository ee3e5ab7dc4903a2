import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { DEFAULT_ALIGNMENT, GGUF_MAGIC, VALUE_SIZES, VALUE_TYPES, alignUp } from './gguf-format.ts'
import { GGUF_READ_LIMITS as LIMITS } from './constants.ts'
import { GgufFormatError } from './gguf-errors.ts'

/** A metadata value as read: numbers (64-bit ones as bigint), booleans, strings, or arrays. */
export type GgufReadValue =
  | number | bigint | boolean | string
  | { readonly arrayOf: number, readonly length: number, readonly values: ReadonlyArray<number | bigint | boolean | string> }

export interface GgufTensorInfo {
  readonly name: string
  readonly dims: readonly number[]
  readonly type: number
  /** From the start of the data section. */
  readonly offset: number
}

export interface GgufInfo {
  readonly version: number
  readonly metadata: ReadonlyMap<string, GgufReadValue>
  readonly tensors: readonly GgufTensorInfo[]
  readonly alignment: number
  /** File offset where tensor data starts. */
  readonly dataOffset: number
  readonly fileSize: number
}

/** Reads a GGUF's header, metadata and tensor infos (not the tensor data). */
export async function readGgufInfo (path: string): Promise<GgufInfo> {
  let file: FileHandle
  try {
    file = await open(path, 'r')
  } catch (err) {
    throw new GgufFormatError(path, `cannot open it (${(err as Error).message})`)
  }
  try {
    const fileSize = (await file.stat()).size
    const cursor = new Cursor(file, fileSize, path)
    const magic = await cursor.u32()
    if (magic !== GGUF_MAGIC) throw new GgufFormatError(path, 'it does not start with "GGUF"')
    const version = await cursor.u32()
    if (version !== 2 && version !== 3) throw new GgufFormatError(path, `GGUF version ${version}; versions 2 and 3 are supported`)
    const tensorCount = await cursor.count('tensor count', LIMITS.tensors)
    const keyCount = await cursor.count('metadata key count', LIMITS.keys)
    const metadata = new Map<string, GgufReadValue>()
    for (let i = 0; i < keyCount; i++) {
      const key = await cursor.string('metadata key')
      if (metadata.has(key)) throw new GgufFormatError(path, `metadata key ${JSON.stringify(key)} appears twice`)
      metadata.set(key, await readValue(cursor, key))
    }
    const tensors: GgufTensorInfo[] = []
    for (let i = 0; i < tensorCount; i++) {
      const name = await cursor.string('tensor name')
      const dimCount = await cursor.u32()
      if (dimCount < 1 || dimCount > LIMITS.dims) throw new GgufFormatError(path, `tensor ${JSON.stringify(name)} has ${dimCount} dimensions (1 to ${LIMITS.dims})`)
      const dims: number[] = []
      for (let d = 0; d < dimCount; d++) dims.push(await cursor.count(`dimension of ${name}`, Number.MAX_SAFE_INTEGER))
      const type = await cursor.u32()
      const offset = await cursor.count(`offset of ${name}`, Number.MAX_SAFE_INTEGER)
      tensors.push({ name, dims, type, offset })
    }
    const alignmentValue = metadata.get('general.alignment')
    const alignment = typeof alignmentValue === 'number' ? alignmentValue : DEFAULT_ALIGNMENT
    if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0) {
      throw new GgufFormatError(path, `general.alignment ${String(alignmentValue)} is not a power of two`)
    }
    return { version, metadata, tensors, alignment, dataOffset: alignUp(cursor.position, alignment), fileSize }
  } finally {
    await file.close()
  }
}

async function readValue (cursor: Cursor, key: string): Promise<GgufReadValue> {
  const type = await cursor.u32()
  if (type === VALUE_TYPES.array) {
    const arrayOf = await cursor.u32()
    if (arrayOf === VALUE_TYPES.array) throw new GgufFormatError(cursor.path, `${key}: arrays of arrays are not supported`)
    const length = await cursor.count(`length of ${key}`, LIMITS.arrayLength)
    const values: Array<number | bigint | boolean | string> = []
    for (let i = 0; i < length; i++) values.push(await readScalar(cursor, arrayOf, key) as number | bigint | boolean | string)
    return { arrayOf, length, values }
  }
  return await readScalar(cursor, type, key)
}

async function readScalar (cursor: Cursor, type: number, key: string): Promise<number | bigint | boolean | string> {
  switch (type) {
    case VALUE_TYPES.string: return await cursor.string(key)
    case VALUE_TYPES.bool: {
      const byte = (await cursor.take(1)).getUint8(0)
      if (byte > 1) throw new GgufFormatError(cursor.path, `${key}: a bool of value ${byte}`)
      return byte === 1
    }
    default: {
      const size = VALUE_SIZES[type]
      if (size === undefined) throw new GgufFormatError(cursor.path, `${key}: unknown value type ${type}`)
      const view = await cursor.take(size)
      switch (type) {
        case VALUE_TYPES.uint8: return view.getUint8(0)
        case VALUE_TYPES.int8: return view.getInt8(0)
        case VALUE_TYPES.uint16: return view.getUint16(0, true)
        case VALUE_TYPES.int16: return view.getInt16(0, true)
        case VALUE_TYPES.uint32: return view.getUint32(0, true)
        case VALUE_TYPES.int32: return view.getInt32(0, true)
        case VALUE_TYPES.float32: return view.getFloat32(0, true)
        case VALUE_TYPES.float64: return view.getFloat64(0, true)
        case VALUE_TYPES.uint64: return view.getBigUint64(0, true)
        default: return view.getBigInt64(0, true)
      }
    }
  }
}

/** Sequential little-endian reads over a file, in chunks. */
class Cursor {
  readonly path: string
  readonly #file: FileHandle
  readonly #size: number
  #chunk = new Uint8Array(0)
  #chunkStart = 0
  position = 0

  constructor (file: FileHandle, size: number, path: string) {
    this.#file = file
    this.#size = size
    this.path = path
  }

  async take (n: number): Promise<DataView> {
    if (this.position + n > this.#size) throw new GgufFormatError(this.path, `the file ends at byte ${this.#size}, inside its header (byte ${this.position} + ${n})`)
    if (this.position + n > LIMITS.headerBytes) throw new GgufFormatError(this.path, `its header is larger than ${LIMITS.headerBytes} bytes`)
    const end = this.#chunkStart + this.#chunk.length
    if (this.position < this.#chunkStart || this.position + n > end) {
      const length = Math.min(Math.max(n, 1 << 20), this.#size - this.position)
      const buffer = new Uint8Array(length)
      const { bytesRead } = await this.#file.read(buffer, 0, length, this.position)
      this.#chunk = buffer.subarray(0, bytesRead)
      this.#chunkStart = this.position
    }
    const at = this.position - this.#chunkStart
    this.position += n
    return new DataView(this.#chunk.buffer, this.#chunk.byteOffset + at, n)
  }

  async u32 (): Promise<number> { return (await this.take(4)).getUint32(0, true) }

  /** A u64 that must fit a safe integer and stay within `max`. */
  async count (what: string, max: number): Promise<number> {
    const value = (await this.take(8)).getBigUint64(0, true)
    if (value > BigInt(max)) throw new GgufFormatError(this.path, `${what} is ${value}, more than ${max}`)
    return Number(value)
  }

  async string (what: string): Promise<string> {
    const length = await this.count(`length of a string in ${what}`, LIMITS.stringBytes)
    const view = await this.take(length)
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(view.buffer, view.byteOffset, length))
    } catch {
      throw new GgufFormatError(this.path, `a string in ${what} is not UTF-8`)
    }
  }
}
