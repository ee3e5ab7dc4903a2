/**
 * BitNet b1.58-style ternary blocks: 256 weights in {-1, 0, +1} times one fp16 scale `d`, in
 * llama.cpp's TQ2_0 and TQ1_0 layouts (ggml-common.h / ggml-quants.c; docs/models.md, Ternary blocks).
 * Both encode the same weights exactly, so models differing only in layout compute the same thing.
 */

export const TERNARY_BLOCK = 256
export const TQ2_0_BYTES = 66
export const TQ1_0_BYTES = 54

/** Trits (-1, 0, 1) of one block and its scale → TQ2_0: qs[64] (2 bits per weight), fp16 d. */
export function packTq2 (trits: Int8Array, d: number, out: Uint8Array, at: number): void {
  for (let k = 0; k < TERNARY_BLOCK; k++) {
    const h = k >> 7
    const r = k & 127
    const l = r >> 5
    const m = r & 31
    out[at + h * 32 + m] = (out[at + h * 32 + m] as number) | (((trits[k] as number) + 1) << (2 * l))
  }
  writeF16(out, at + 64, d)
}

/** → TQ1_0: qs[48] and qh[4], five (or four) base-3 digits per byte, then fp16 d. */
export function packTq1 (trits: Int8Array, d: number, out: Uint8Array, at: number): void {
  const byte = (ks: number[]): number => {
    let value = 0
    for (let n = 0; n < 5; n++) value += (ks[n] === undefined ? 0 : (trits[ks[n] as number] as number) + 1) * 3 ** (4 - n)
    return Math.ceil((value * 256) / 243)
  }
  for (let m = 0; m < 32; m++) out[at + m] = byte([0, 1, 2, 3, 4].map((n) => n * 32 + m))
  for (let m = 0; m < 16; m++) out[at + 32 + m] = byte([0, 1, 2, 3, 4].map((n) => 160 + n * 16 + m))
  for (let j = 0; j < 4; j++) out[at + 48 + j] = byte([0, 1, 2, 3].map((n) => 240 + n * 4 + j))
  writeF16(out, at + 52, d)
}

/** Reads a TQ2_0 block back: values t·d (for tests and checks, like llama.cpp's dequantize). */
export function unpackTq2 (block: Uint8Array): Float32Array {
  const d = readF16(block, 64)
  const out = new Float32Array(TERNARY_BLOCK)
  for (let k = 0; k < TERNARY_BLOCK; k++) {
    const h = k >> 7
    const r = k & 127
    const q = ((block[h * 32 + (r & 31)] as number) >> (2 * (r >> 5))) & 3
    out[k] = (q - 1) * d
  }
  return out
}

export function unpackTq1 (block: Uint8Array): Float32Array {
  const d = readF16(block, 52)
  const out = new Float32Array(TERNARY_BLOCK)
  const trit = (q: number, n: number): number => ((((q * 3 ** n) & 0xff) * 3) >> 8) - 1
  for (let m = 0; m < 32; m++) for (let n = 0; n < 5; n++) out[n * 32 + m] = trit(block[m] as number, n) * d
  for (let m = 0; m < 16; m++) for (let n = 0; n < 5; n++) out[160 + n * 16 + m] = trit(block[32 + m] as number, n) * d
  for (let j = 0; j < 4; j++) for (let n = 0; n < 4; n++) out[240 + n * 4 + j] = trit(block[48 + j] as number, n) * d
  return out
}

function writeF16 (out: Uint8Array, at: number, value: number): void {
  const bytes = new Uint8Array(new Float16Array([value]).buffer)
  out[at] = bytes[0] as number
  out[at + 1] = bytes[1] as number
}

function readF16 (bytes: Uint8Array, at: number): number {
  return new Float16Array(Uint8Array.from([bytes[at] as number, bytes[at + 1] as number]).buffer)[0] as number
}
