/** `512 B`, `3.4 KiB`, `120.3 MiB`: a size short enough for a table cell. */
export function byteSize (n: number): string {
  return n < 1_024 ? `${n} B` : n < 1_048_576 ? `${(n / 1_024).toFixed(1)} KiB` : `${(n / 1_048_576).toFixed(1)} MiB`
}
