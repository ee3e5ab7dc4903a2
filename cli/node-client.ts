import * as grpc from '@grpc/grpc-js'
import { loadChatService } from '../protocols/grpc/index.ts'
import { CliError } from './cli-errors.ts'
import { grpcTlsOptions, tlsProblem } from './client-tls.ts'
import { CALL_TIMEOUT_MS } from './constants.ts'
import type { ClientTls } from './client-tls.ts'


type Callback = (err: grpc.ServiceError | null, res: unknown) => void
type UnaryMethod = (req: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => void

/** The CLI's gRPC client of one service (chat by default): the user's token on every call,
 * errors as one clear line. */
export class NodeClient {
  readonly #client: grpc.Client & Record<string, unknown>
  readonly #metadata: grpc.Metadata
  readonly address: string
  /** undefined: plain gRPC. */
  readonly tls: ClientTls | undefined

  constructor (address: string, token: string, service: { Client: grpc.ServiceClientConstructor } = loadChatService(), tls?: ClientTls) {
    const { Client } = service
    this.address = address
    this.tls = tls
    if (tls === undefined) {
      this.#client = new Client(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, unknown>
    } else {
      const { channel, checkServerIdentity } = grpcTlsOptions(address)
      const credentials = grpc.credentials.createSsl(tls.ca ?? null, null, null, checkServerIdentity === undefined ? {} : { checkServerIdentity })
      this.#client = new Client(address, credentials, channel) as grpc.Client & Record<string, unknown>
    }
    this.#metadata = new grpc.Metadata()
    this.#metadata.set('authorization', `Bearer ${token}`)
  }

  call<T> (method: string, request: unknown): Promise<T> {
    const fn = this.#client[method] as UnaryMethod
    return new Promise((resolve, reject) => {
      fn.call(this.#client, request, this.#metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, res) => {
        if (err !== null) reject(cliError(err, this.address, this.tls))
        else resolve(res as T)
      })
    })
  }

  subscribe (room: string, after: number): grpc.ClientReadableStream<unknown> {
    const fn = this.#client.Subscribe as (req: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>
    return fn.call(this.#client, { room, after }, this.#metadata)
  }

  /** A server-streaming call. */
  stream (method: string, request: unknown): grpc.ClientReadableStream<unknown> {
    const fn = this.#client[method] as (req: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>
    return fn.call(this.#client, request, this.#metadata)
  }

  /** A client-streaming call: write the requests to `stream` and end it; the reply settles `reply`. */
  upload<T> (method: string): { readonly stream: grpc.ClientWritableStream<unknown>, readonly reply: Promise<T> } {
    const fn = this.#client[method] as (metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, res?: unknown) => void) => grpc.ClientWritableStream<unknown>
    let stream!: grpc.ClientWritableStream<unknown>
    const reply = new Promise<T>((resolve, reject) => {
      stream = fn.call(this.#client, this.#metadata, (err, res) => {
        if (err !== null) reject(cliError(err, this.address, this.tls))
        else resolve(res as T)
      })
    })
    return { stream, reply }
  }

  close (): void { this.#client.close() }
}

/** What a failed call says, in one line: a TLS problem (`tls` is what the client used) with what to
 * do about it, a node that cannot be reached, or the status and its details (a node's own
 * UNAVAILABLE, such as a lost write quorum, is the node's answer: it was reached). */
export function cliError (err: grpc.ServiceError, address: string, tls?: ClientTls): CliError {
  const name = grpc.status[err.code] ?? String(err.code)
  const call = { code: err.code, details: err.details }
  const problem = tlsFailure(err, address, tls)
  if (problem !== undefined) return new CliError(`node at ${address}: ${problem}`, undefined, call)
  if (notConnected(err)) {
    return new CliError(`cannot reach a node at ${address} (${connectionError(err.details)}); is it running? (--addr, PLEXI_ADDR)`, undefined, call)
  }
  return new CliError(`${name}: ${err.details}`, undefined, call)
}

/**
 * Whether a call failed before it reached a node (grpc-js's own words for it: no connection, the
 * channel closed before the call started, the stream refused): the request was not sent. Matched
 * at the start of the details only, since a node's own UNAVAILABLE may name a connection too.
 */
export function notConnected (err: { readonly code: number, readonly details: string }): boolean {
  return err.code === grpc.status.UNAVAILABLE && /^(No connection established|Failed to connect|Channel closed before call started|Stream refused by server|Name resolution failed|DNS resolution failed)/i.test(err.details)
}

/** What went wrong with TLS in a failed call, or undefined: retrying does not mend it. */
export function tlsFailure (err: grpc.ServiceError, address: string, tls: ClientTls | undefined): string | undefined {
  if (err.code !== grpc.status.UNAVAILABLE) return undefined
  return tlsProblem({ message: err.details }, tls, address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'))
}

/** The cause in grpc-js's details for a failed connection, without its wrapping:
 * "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: "
 * → "connect ECONNREFUSED 127.0.0.1:1". */
function connectionError (details: string): string {
  const cause = details
    .replace(/\.?\s*Resolution note:.*$/s, '')
    .replace(/^No connection established\.\s*(Last error:\s*)?/, '')
    .replace(/^Error:\s*/, '')
    .replace(/\.$/, '')
    .trim()
  return cause.length > 0 ? cause : 'no connection'
}

/** A failed call's status name (DEADLINE_EXCEEDED, UNAVAILABLE), for a line that says it is retried:
 * the whole reason is said once, if no try succeeds. */
export function failureName (error: Error): string {
  const code = error instanceof CliError ? error.call?.code : undefined
  return code === undefined ? error.name : grpc.status[code] ?? String(code)
}
