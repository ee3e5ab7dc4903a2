import * as grpc from '@grpc/grpc-js'
import { loadChatService } from '../protocols/grpc/index.ts'
import { CliError } from './cli-errors.ts'

/** Unary calls give up after this long. */
const CALL_TIMEOUT_MS = 15_000

type Callback = (err: grpc.ServiceError | null, res: unknown) => void
type UnaryMethod = (req: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => void

/** The CLI's gRPC client of one service (chat by default): the user's token on every call,
 * errors as one clear line. */
export class NodeClient {
  readonly #client: grpc.Client & Record<string, unknown>
  readonly #metadata: grpc.Metadata
  readonly address: string

  constructor (address: string, token: string, service: { Client: grpc.ServiceClientConstructor } = loadChatService()) {
    const { Client } = service
    this.address = address
    this.#client = new Client(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, unknown>
    this.#metadata = new grpc.Metadata()
    this.#metadata.set('authorization', `Bearer ${token}`)
  }

  call<T> (method: string, request: unknown): Promise<T> {
    const fn = this.#client[method] as UnaryMethod
    return new Promise((resolve, reject) => {
      fn.call(this.#client, request, this.#metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, res) => {
        if (err !== null) reject(cliError(err, this.address))
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

  close (): void { this.#client.close() }
}

export function cliError (err: grpc.ServiceError, address: string): CliError {
  const name = grpc.status[err.code] ?? String(err.code)
  if (err.code === grpc.status.UNAVAILABLE && /ECONNREFUSED|No connection established|connect/i.test(err.details)) {
    return new CliError(`cannot reach a node at ${address} (${connectionError(err.details)}); is it running? (--addr, PLEXI_ADDR)`)
  }
  return new CliError(`${name}: ${err.details}`)
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
