import { StringDecoder } from 'node:string_decoder'
import { ExportWriter } from '../../protocols/index.ts'
import type { ExportFormat } from '../../protocols/index.ts'
import { EXPORT_CHUNK_CHARS } from './constants.ts'
import type { ExportStream } from './exporter.ts'

/** How a room is read for an export in `format` (Exporter.room): its records' JSON for json and
 * ndjson, those this node's store holds made as bytes framed for that format. */
export function roomExportOptions (format: ExportFormat): { readonly json: boolean, readonly framing?: 'json' | 'ndjson' } {
  return format === 'md' ? { json: false } : { json: true, framing: format }
}

/**
 * An export in `format` as UTF-8 bytes, in chunks of about `chunkChars` characters (many records a
 * chunk, so that whatever carries them, an HTTP response, a gRPC stream or a file, pays per chunk
 * and not per record; a chunk ends at the first record that takes it to `chunkChars`, never a page
 * later: EXPORT_CHUNK_CHARS says why a chunk must stay small). Records already made bytes (a room's
 * JSON from this node's store, framed for `format`) go as they are. Only the chunk being filled is
 * held.
 */
export async function * exportChunks (stream: ExportStream, format: ExportFormat, chunkChars = EXPORT_CHUNK_CHARS): AsyncGenerator<Buffer> {
  const writer = new ExportWriter(format)
  let chunk = writer.header(stream.header)
  if ('lines' in stream) {
    for await (const lines of stream.lines) {
      for (const line of lines) {
        if (typeof line === 'string') {
          chunk += writer.line(line)
          if (chunk.length >= chunkChars) {
            yield Buffer.from(chunk, 'utf8')
            chunk = ''
          }
          continue
        }
        if (line.framing !== format) throw new RangeError(`records framed for ${line.framing} in a ${format} export`)
        if (chunk.length > 0) yield Buffer.from(chunk, 'utf8')
        chunk = ''
        // (a json export's first record goes without the `,\n` before it)
        const first = writer.framed(line.count)
        for (const [i, bytes] of line.chunks.entries()) yield i === 0 && first && format === 'json' ? bytes.subarray(2) : bytes
      }
    }
  } else {
    for await (const record of stream.records) {
      chunk += writer.record(record)
      if (chunk.length >= chunkChars) {
        yield Buffer.from(chunk, 'utf8')
        chunk = ''
      }
    }
  }
  yield Buffer.from(chunk + writer.end(), 'utf8')
}

/** The same export as text (exportChunks decoded: a character split between two chunks is whole
 * in the next string). */
export async function * exportText (stream: ExportStream, format: ExportFormat, chunkChars = EXPORT_CHUNK_CHARS): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  for await (const bytes of exportChunks(stream, format, chunkChars)) {
    const text = decoder.write(bytes)
    if (text.length > 0) yield text
  }
  const rest = decoder.end()
  if (rest.length > 0) yield rest
}
