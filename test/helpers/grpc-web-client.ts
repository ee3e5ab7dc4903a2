import type * as grpc from '@grpc/grpc-js'
import { loadNodeServices } from '../../protocols/grpc/index.ts'

/** What a gRPC-Web call brought: its messages, its status and trailers, the HTTP response's own. */
export interface WebAnswer {
  readonly messages: unknown[]
  readonly code: number | undefined
  readonly details: string
  readonly trailers: Readonly<Record<string, string>>
  readonly httpStatus: number
  readonly headers: Headers
}

export interface WebCallOptions {
  readonly token?: string | undefined
  /** application/grpc-web-text (base64) instead of binary. */
  readonly text?: boolean
  /** Raw body bytes instead of the encoded request (malformed frames). */
  readonly body?: Uint8Array | string
  readonly contentType?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly signal?: AbortSignal
}

type Method = grpc.MethodDefinition<unknown, unknown>

/**
 * A small gRPC-Web client over fetch, written from PROTOCOL-WEB.md, for specs: it frames a request
 * with the services' own protobuf encoders, reads the response's frames as they arrive (messages,
 * then the trailers frame), in binary or text mode. `stream` yields each message as it comes.
 */
export class GrpcWebClient {
  readonly #base: string
  readonly #methods = new Map<string, Method>()

  constructor (base: string) {
    this.#base = base.replace(/\/$/, '')
    const { chat, agent } = loadNodeServices()
    for (const service of [chat, agent]) for (const method of Object.values(service) as Method[]) this.#methods.set(method.path, method)
  }

  /** A whole call: every message and the status. */
  async call (path: string, request: unknown, options: WebCallOptions = {}): Promise<WebAnswer> {
    const messages: unknown[] = []
    const stream = this.stream(path, request, options)
    for (;;) {
      const next = await stream.next()
      if (next.done === true) return { ...next.value, messages }
      messages.push(next.value)
    }
  }

  /** The messages as they come; the generator's return value is the status. */
  async * stream (path: string, request: unknown, options: WebCallOptions = {}): AsyncGenerator<unknown, Omit<WebAnswer, 'messages'>> {
    const method = this.#methods.get(path)
    const text = options.text === true
    let body = options.body
    if (body === undefined) {
      if (method === undefined) throw new Error(`no method ${path}`)
      body = frame(0, method.requestSerialize(request))
      if (text) body = Buffer.from(body).toString('base64')
    }
    const res = await fetch(`${this.#base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? (text ? 'application/grpc-web-text' : 'application/grpc-web+proto'),
        'x-grpc-web': '1',
        ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }),
        ...options.headers
      },
      body,
      ...(options.signal !== undefined && { signal: options.signal })
    })
    const trailers: Record<string, string> = {}
    for (const key of ['grpc-status', 'grpc-message']) { const v = res.headers.get(key); if (v !== null) trailers[key] = v }
    const reader = new FrameReader(text)
    for await (const chunk of res.body ?? []) {
      for (const [flag, bytes] of reader.push(chunk as Uint8Array)) {
        if ((flag & 0x80) !== 0) Object.assign(trailers, parseTrailers(bytes))
        else if (method !== undefined) yield method.responseDeserialize(bytes)
      }
    }
    const code = trailers['grpc-status'] === undefined ? undefined : Number(trailers['grpc-status'])
    return { code, details: decodeURIComponent(trailers['grpc-message'] ?? ''), trailers, httpStatus: res.status, headers: res.headers }
  }
}

/** A frame: flag, length (4 bytes big-endian), bytes. */
export function frame (flag: number, bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + bytes.length)
  out[0] = flag
  out.writeUInt32BE(bytes.length, 1)
  out.set(bytes, 5)
  return out
}

/** Frames out of a body read in chunks (text mode: base64, each chunk's padding where it ends). */
class FrameReader {
  readonly #text: boolean
  #bytes = Buffer.alloc(0)
  #chars = ''

  constructor (text: boolean) {
    this.#text = text
  }

  push (chunk: Uint8Array): Array<[number, Buffer]> {
    if (this.#text) {
      this.#chars += Buffer.from(chunk).toString('latin1')
      const whole = this.#chars.length - (this.#chars.length % 4)
      const groups = this.#chars.slice(0, whole)
      this.#chars = this.#chars.slice(whole)
      const decoded = groups.split(/(?<==)(?=[^=])/).filter((s) => s.length > 0).map((s) => Buffer.from(s, 'base64'))
      this.#bytes = Buffer.concat([this.#bytes, ...decoded])
    } else {
      this.#bytes = Buffer.concat([this.#bytes, chunk])
    }
    const frames: Array<[number, Buffer]> = []
    while (this.#bytes.length >= 5) {
      const length = this.#bytes.readUInt32BE(1)
      if (this.#bytes.length < 5 + length) break
      frames.push([this.#bytes[0] as number, this.#bytes.subarray(5, 5 + length)])
      this.#bytes = this.#bytes.subarray(5 + length)
    }
    return frames
  }
}

function parseTrailers (bytes: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of bytes.toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return out
}
