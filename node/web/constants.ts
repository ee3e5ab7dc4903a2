/** Limits and names of the user listener (gRPC-Web and the chat page), each with why. */

/** The content types of gRPC-Web requests this listener takes: binary (`+proto` or bare, which
 * means proto) and base64 text (for clients that cannot read binary from a stream). JSON is not
 * offered: the `.proto` is the one contract, and protobuf is what every gRPC-Web client sends. */
export const BINARY_TYPES: ReadonlySet<string> = new Set(['application/grpc-web', 'application/grpc-web+proto'])
export const TEXT_TYPES: ReadonlySet<string> = new Set(['application/grpc-web-text', 'application/grpc-web-text+proto'])

/** What a response says it is: the request's mode, always with `+proto`. */
export const BINARY_RESPONSE_TYPE = 'application/grpc-web+proto'
export const TEXT_RESPONSE_TYPE = 'application/grpc-web-text+proto'

/** Most bytes of a request body in text mode: a base64 message of the gRPC server's MAX_RECEIVE_BYTES
 * and its frame header (4 characters per 3 bytes, and a padded group per chunk a client sent). */
export const textBodyLimit = (maxMessageBytes: number): number => Math.ceil((maxMessageBytes + 5) / 3) * 4 + 1024

/** The headers a browser may send cross-origin (CORS preflight): what gRPC-Web clients send
 * (x-grpc-web, x-user-agent, grpc-timeout), the token, and a trace context. */
export const CORS_REQUEST_HEADERS = 'authorization, content-type, x-grpc-web, x-user-agent, grpc-timeout, traceparent, tracestate'

/** The response headers a cross-origin page may read: the status when it comes as headers
 * (a trailers-only answer), and the retry advice of RESOURCE_EXHAUSTED. */
export const CORS_EXPOSED_HEADERS = 'grpc-status, grpc-message, grpc-status-details-bin, retry-after-ms'

/** How long a browser may keep a preflight's answer: ten minutes, so that a page that calls often
 * does not ask before every call, and a change of web-cors-origin is seen soon. */
export const CORS_MAX_AGE_S = 600

/** Request headers never handed to a handler as metadata: HTTP's own, and what this transport reads
 * itself. What is left (authorization, traceparent, x-forwarded-for, ...) is the call's metadata,
 * as grpc-js would give it. */
export const NOT_METADATA: ReadonlySet<string> = new Set([
  'host', 'connection', 'content-length', 'content-type', 'accept', 'accept-encoding', 'accept-language', 'origin', 'referer',
  'user-agent', 'x-user-agent', 'x-grpc-web', 'grpc-timeout', 'grpc-accept-encoding', 'grpc-encoding', 'te', 'keep-alive',
  'transfer-encoding', 'upgrade', 'cookie', 'pragma', 'cache-control', 'dnt'
])
