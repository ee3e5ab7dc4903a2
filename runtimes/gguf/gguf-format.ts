/**
 * GGUF v3 constants (from llama.cpp's ggml/src/gguf.cpp and ggml.h, checked against the llama.cpp
 * bundled with node-llama-cpp; docs/models.md, File layout).
 */

export const GGUF_MAGIC = 0x46554747  // "GGUF" little-endian
export const GGUF_VERSION = 3
export const DEFAULT_ALIGNMENT = 32

/** Metadata value type ids. */
export const VALUE_TYPES = {
  uint8: 0, int8: 1, uint16: 2, int16: 3, uint32: 4, int32: 5, float32: 6, bool: 7,
  string: 8, array: 9, uint64: 10, int64: 11, float64: 12
} as const
export type ValueTypeName = keyof typeof VALUE_TYPES

/** Bytes of one element of each fixed-size value type (string and array excepted). */
export const VALUE_SIZES: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 }

/** ggml tensor types Plexi writes or accepts, with their block layout. */
export const GGML_TYPES = {
  F32: { id: 0, blockSize: 1, blockBytes: 4 },
  F16: { id: 1, blockSize: 1, blockBytes: 2 },
  Q4_0: { id: 2, blockSize: 32, blockBytes: 18 },
  Q4_1: { id: 3, blockSize: 32, blockBytes: 20 },
  Q5_0: { id: 6, blockSize: 32, blockBytes: 22 },
  Q5_1: { id: 7, blockSize: 32, blockBytes: 24 },
  Q8_0: { id: 8, blockSize: 32, blockBytes: 34 },
  Q2_K: { id: 10, blockSize: 256, blockBytes: 84 },
  Q3_K: { id: 11, blockSize: 256, blockBytes: 110 },
  Q4_K: { id: 12, blockSize: 256, blockBytes: 144 },
  Q5_K: { id: 13, blockSize: 256, blockBytes: 176 },
  Q6_K: { id: 14, blockSize: 256, blockBytes: 210 },
  Q8_K: { id: 15, blockSize: 256, blockBytes: 292 },
  BF16: { id: 30, blockSize: 1, blockBytes: 2 },
  TQ1_0: { id: 34, blockSize: 256, blockBytes: 54 },
  TQ2_0: { id: 35, blockSize: 256, blockBytes: 66 }
} as const
export type GgmlTypeName = keyof typeof GGML_TYPES

export function ggmlTypeById (id: number): { name: GgmlTypeName, blockSize: number, blockBytes: number } | undefined {
  for (const [name, type] of Object.entries(GGML_TYPES)) if (type.id === id) return { name: name as GgmlTypeName, blockSize: type.blockSize, blockBytes: type.blockBytes }
  return undefined
}

/** Bytes of a tensor of `elements` values (row length a multiple of the block size). */
export function tensorBytes (type: { blockSize: number, blockBytes: number }, elements: number): number {
  return (elements / type.blockSize) * type.blockBytes
}

/** `general.file_type` values for the variants Plexi writes. */
export const FILE_TYPES = { F32: 0, F16: 1, TQ1_0: 36, TQ2_0: 37 } as const

export function alignUp (n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment
}
