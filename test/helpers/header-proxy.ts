import { createServer, request } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A listening header-adding proxy. */
export interface HeaderProxy {
  /** http://127.0.0.1:<port> */
  readonly origin: string
  /** Requests forwarded so far. */
  readonly forwarded: number
  close (): Promise<void>
}

/**
 * A small HTTP proxy on loopback that forwards every request to `target` (host and port) with
 * `headers` added, and everything else as it came: method, path, body, and its Host and Origin
 * (so that the target judges the client's own, as DNS-rebinding protection must); responses
 * (server-sent events too) stream back as they come. For a client that cannot send a header
 * itself, such as the MCP conformance suite, which sends no token.
 */
export async function startHeaderProxy (target: { readonly host: string, readonly port: number }, headers: Readonly<Record<string, string>>): Promise<HeaderProxy> {
  let forwarded = 0
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    forwarded++
    const upstream = request({ host: target.host, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, ...headers } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy() })
    // a client that leaves ends its upstream request too (an SSE stream would otherwise stay open)
    res.on('close', () => { upstream.destroy() })
    req.pipe(upstream)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { resolve() })
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    get forwarded () { return forwarded },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
