/** A response's body as text, at most `maxBytes` of it: RangeError past that (the rest is not
 * read), so that a server cannot make us buffer without bound. */
export async function responseText (response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder('utf-8')
  let text = ''
  let bytes = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return text + decoder.decode()
      bytes += value.byteLength
      if (bytes > maxBytes) throw new RangeError(`the body is larger than ${maxBytes} bytes`)
      text += decoder.decode(value, { stream: true })
    }
  } finally {
    // frees the connection when we stop before the end; a body already ended or broken has nothing to free
    reader.cancel().catch(() => {})
  }
}
