// A gRPC-Web client over fetch (PROTOCOL-WEB.md, binary mode): a request is one frame (flag 0, a
// 4-byte big-endian length, the message); the answer is message frames then a trailers frame (flag
// 0x80), or the status alone in the response's headers. The token travels in `authorization` only.
// Calls go to the node lib/nodes.js names now; a failure that says the node stopped answering (its
// connection refused or cut, no status, or UNAVAILABLE) moves the page to the next node, and the
// GrpcError says whether the caller may try again there at once (`moved`).
import { decode, encode } from './proto.js'
import { Nodes } from './nodes.js'

/** gRPC status codes the page acts on. */
export const STATUS = { OK: 0, CANCELLED: 1, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 }

/** A call that ended with a status other than OK (or failed to reach the node: UNAVAILABLE). */
export class GrpcError extends Error {
  constructor (code, details, retryAfterMs) {
    super(details)
    this.name = 'GrpcError'
    this.code = code
    this.retryAfterMs = retryAfterMs
    /** The page moved to another node that may answer: try again there without backing off. */
    this.moved = false
  }
}

/** Whether a call that failed so may be tried again as it was (a post with the same client_id). */
export const retryable = (err) => err instanceof GrpcError && [STATUS.UNAVAILABLE, STATUS.DEADLINE_EXCEEDED, STATUS.RESOURCE_EXHAUSTED, STATUS.INTERNAL].includes(err.code)

/** The longest wait before a call is tried again on the node that failed it (ms). */
const MAX_BACKOFF_MS = 5000
/** The longest wait before a call is tried again on the next node after a move (ms): short, since
 * that node has not failed; growing all the same, while nodes one after the other say UNAVAILABLE
 * (a room's new owner still taking it over). */
const MAX_MOVED_MS = 1000

/** How long to wait before trying a retryable call again after `err`, the `failures`th failure in a
 * row (1, 2, ...): the node's retry-after when it gave one; little when the page just moved to
 * another node; else a backoff doubling from 500 ms to MAX_BACKOFF_MS. */
export function retryDelay (err, failures) {
  if (err.retryAfterMs !== undefined) return err.retryAfterMs
  return err.moved ? Math.min(MAX_MOVED_MS, 50 * 2 ** failures) : Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures)
}

export class GrpcWeb {
  #token

  /** @param nodes where calls go (default: this page's origin alone) */
  constructor (token, nodes = new Nodes()) {
    this.#token = token
    this.nodes = nodes
  }

  /** One answer of a unary method (METHODS in chat-messages.js). */
  async call (method, request, signal) {
    let answer
    for await (const message of this.stream(method, request, signal)) answer = message
    if (answer === undefined) throw new GrpcError(STATUS.INTERNAL, `${method.path}: the node sent no answer`)
    return answer
  }

  /** The answers of a method as they arrive; throws GrpcError when its status is not OK. */
  async * stream (method, request, signal) {
    const base = this.nodes.base
    let answered = false
    try {
      for await (const message of this.#stream(base, method, request, signal)) {
        if (!answered) { answered = true; this.nodes.ok(base) }
        yield message
      }
      this.nodes.ok(base)
    } catch (err) {
      if (err instanceof GrpcError && (err.connection || err.code === STATUS.UNAVAILABLE) && !signal?.aborted) err.moved = this.nodes.failed(base, err.connection === true)
      else if (err instanceof GrpcError && err.code !== STATUS.CANCELLED) this.nodes.ok(base)
      throw err
    }
  }

  async * #stream (base, method, request, signal) {
    const message = encode(method.request, request)
    const body = new Uint8Array(5 + message.length)
    new DataView(body.buffer).setUint32(1, message.length)
    body.set(message, 5)
    let res
    try {
      res = await fetch(`${base}${method.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', authorization: `Bearer ${this.#token}` },
        body,
        signal,
        cache: 'no-store',
        credentials: 'omit'
      })
    } catch (err) {
      if (signal?.aborted) throw new GrpcError(STATUS.CANCELLED, 'cancelled')
      throw lost(`the node could not be reached (${err.message}); retrying`)
    }
    let status = statusFrom((name) => res.headers.get(name))
    // no gRPC status: not the node's answer (a proxy in front of one that stopped)
    if (status === undefined && !res.ok) throw lost(`HTTP ${res.status} from the node`)
    if (status === undefined) {
      let buffered = new Uint8Array(0)
      const reader = res.body.getReader()
      try {
        for (;;) {
          let chunk
          try {
            chunk = await reader.read()
          } catch (err) {
            if (signal?.aborted) throw new GrpcError(STATUS.CANCELLED, 'cancelled')
            throw lost(`the connection to the node was cut (${err.message})`)
          }
          if (chunk.done) break
          buffered = joined(buffered, chunk.value)
          while (buffered.length >= 5) {
            const length = new DataView(buffered.buffer, buffered.byteOffset).getUint32(1)
            if (buffered.length < 5 + length) break
            const flag = buffered[0]
            const payload = buffered.subarray(5, 5 + length)
            buffered = buffered.subarray(5 + length)
            if ((flag & 0x80) !== 0) status = statusFrom(trailers(payload))
            else yield decode(method.response, payload)
          }
        }
      } finally {
        reader.releaseLock()
      }
    }
    if (status === undefined) throw lost('the answer ended without a status; retrying')
    if (status.code !== STATUS.OK) throw new GrpcError(status.code, status.details, status.retryAfterMs)
  }
}

/** UNAVAILABLE for a connection that failed: the node did not answer (or not to the end). */
function lost (details) {
  const err = new GrpcError(STATUS.UNAVAILABLE, details)
  err.connection = true
  return err
}

function joined (a, b) {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** The trailers frame's `name:value` lines as a lookup. */
function trailers (payload) {
  const map = new Map()
  for (const line of new TextDecoder().decode(payload).split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) map.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return (name) => map.get(name) ?? null
}

function statusFrom (get) {
  const code = get('grpc-status')
  if (code === null) return undefined
  let details = get('grpc-message') ?? ''
  try { details = decodeURIComponent(details) } catch { /* not percent-encoded: as it came */ }
  const retry = Number(get('retry-after-ms'))
  return { code: Number(code), details, retryAfterMs: Number.isFinite(retry) && retry > 0 ? retry : undefined }
}
