import { ExportWriter } from '../../protocols/index.ts'
import type { ExportFormat } from '../../protocols/index.ts'
import { EXPORT_CHUNK_CHARS } from './constants.ts'
import type { ExportStream } from './exporter.ts'

/**
 * An export as text in `format`, in chunks of about `chunkChars` characters (many records a chunk,
 * so that whatever carries them, an HTTP response, a gRPC stream or a file, pays per chunk and not
 * per record). Only the chunk being filled is held.
 */
export async function * exportText (stream: ExportStream, format: ExportFormat, chunkChars = EXPORT_CHUNK_CHARS): AsyncGenerator<string> {
  const writer = new ExportWriter(format)
  let chunk = writer.header(stream.header)
  if ('lines' in stream) {
    for await (const lines of stream.lines) {
      for (const line of lines) chunk += writer.line(line)
      if (chunk.length >= chunkChars) {
        yield chunk
        chunk = ''
      }
    }
  } else {
    for await (const record of stream.records) {
      chunk += writer.record(record)
      if (chunk.length >= chunkChars) {
        yield chunk
        chunk = ''
      }
    }
  }
  yield chunk + writer.end()
}
