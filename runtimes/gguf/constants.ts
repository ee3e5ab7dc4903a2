/** Limits of the GGUF reader, with why they are what they are. */

/** Bounds on what a header may claim before we believe it (a hostile file cannot make us allocate
 * gigabytes or loop forever). Real models stay far below: ~30 keys, ~300 tensors, 150k tokens,
 * tensors of at most 4 dimensions (ggml's own limit). */
export const GGUF_READ_LIMITS = {
  keys: 65_536,
  tensors: 65_536,
  stringBytes: 1 << 20,
  arrayLength: 1 << 22,
  dims: 4,
  headerBytes: 512 << 20
} as const
