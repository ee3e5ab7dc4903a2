import { InvalidRequestError } from '../../protocols/index.ts'

/** The flag byte of a frame that carries trailers (PROTOCOL-WEB.md: the MSB of the first byte). */
const TRAILER_FLAG = 0x80
/** The flag byte of a compressed message: no gRPC-Web client compresses, and this listener does not
 * decompress (it offers no grpc-accept-encoding). */
const COMPRESSED_FLAG = 0x01

/** A message in a gRPC-Web frame: flag 0, its length (4 bytes, big-endian), the message. */
export function messageFrame (message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length)
  frame[0] = 0
  frame.writeUInt32BE(message.length, 1)
  frame.set(message, 5)
  return frame
}

/** The trailers frame that ends every response: flag 0x80, then the trailers as HTTP/1 header
 * lines (`grpc-status:0\r\ngrpc-message:...\r\n`), names lower case. */
export function trailerFrame (trailers: ReadonlyArray<readonly [string, string]>): Buffer {
  const text = Buffer.from(trailers.map(([name, value]) => `${name}:${value}\r\n`).join(''), 'latin1')
  const frame = Buffer.allocUnsafe(5 + text.length)
  frame[0] = TRAILER_FLAG
  frame.writeUInt32BE(text.length, 1)
  frame.set(text, 5)
  return frame
}

/** A status message as the grpc-message trailer carries it: percent-encoded UTF-8, every byte
 * outside printable ASCII and `%` itself escaped (the gRPC HTTP/2 spec's rule). */
export function percentEncoded (message: string): string {
  let out = ''
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/**
 * The one message of a request body (gRPC-Web calls here are unary or server-streaming: one
 * request message). InvalidRequestError says what is wrong with a body that is not exactly one
 * uncompressed message frame.
 */
export function requestMessage (body: Buffer): Buffer {
  if (body.length < 5) throw new InvalidRequestError(`request: a gRPC-Web frame has a 5-byte header, got ${body.length} bytes`)
  const flag = body[0] as number
  if ((flag & TRAILER_FLAG) !== 0) throw new InvalidRequestError('request: a client sends message frames only (flag 0x80 is the server\'s trailers)')
  if ((flag & COMPRESSED_FLAG) !== 0) throw new InvalidRequestError('request: compressed messages are not taken (send them uncompressed: this server offers no grpc-encoding)')
  if (flag !== 0) throw new InvalidRequestError(`request: unknown frame flag 0x${flag.toString(16)}`)
  const length = body.readUInt32BE(1)
  if (length !== body.length - 5) {
    throw new InvalidRequestError(`request: the frame says ${length} bytes of message, the body has ${body.length - 5} after its header (one message per call)`)
  }
  return body.subarray(5)
}

/** Whole padded base64 groups, any number of them (a client may pad each chunk it sent). */
const BASE64_GROUPS = /^(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)*$/

/**
 * A text-mode body as bytes. Strict: Node's own decoder skips characters that are not base64,
 * which would turn a mangled body into some other message. Padding may end each chunk the client
 * wrote (PROTOCOL-WEB.md), so each padded run is decoded on its own.
 */
export function decodeText (body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/[\r\n]/g, '')
  if (!BASE64_GROUPS.test(text)) throw new InvalidRequestError('request: not base64 (application/grpc-web-text takes padded base64 of the frames)')
  const runs = text.split(/(?<==)(?=[^=])/)
  return runs.length === 1 ? Buffer.from(text, 'base64') : Buffer.concat(runs.map((run) => Buffer.from(run, 'base64')))
}
