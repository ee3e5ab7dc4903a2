/** The file is not a GGUF llama.cpp could load safely: `why` says what is wrong and where. */
export class GgufFormatError extends Error {
  override readonly name = 'GgufFormatError'
  readonly kind = 'invalid'
  readonly path: string
  constructor (path: string, why: string) {
    super(`${path} is not a usable GGUF model: ${why}`)
    this.path = path
  }
}
