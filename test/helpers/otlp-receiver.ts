import { createServer } from 'node:http'
import type { Server } from 'node:http'

/** One span as an OTLP/HTTP receiver got it (JSON encoding: ids in hex), with the node it came
 * from (its resource's `service.instance.id`). */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  /** '' for a root span. */
  readonly parentSpanId: string
  readonly name: string
  /** OTLP's SpanKind number: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly node: string
  readonly attributes: Readonly<Record<string, unknown>>
  readonly status: number
  readonly startNs: bigint
  readonly endNs: bigint
}

interface OtlpValue { stringValue?: string, intValue?: string | number, boolValue?: boolean, doubleValue?: number }
interface OtlpAttribute { key: string, value: OtlpValue }

function valueOf (v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue
  if (v.intValue !== undefined) return Number(v.intValue)
  if (v.boolValue !== undefined) return v.boolValue
  return v.doubleValue
}

function attrs (list: readonly OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]))
}

/** The spans of one OTLP/HTTP JSON export request (ExportTraceServiceRequest). */
export function decodeTraces (body: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = []
  for (const rs of (body as { resourceSpans?: unknown[] }).resourceSpans ?? []) {
    const r = rs as { resource?: { attributes?: OtlpAttribute[] }, scopeSpans?: Array<{ spans?: unknown[] }> }
    const node = String(attrs(r.resource?.attributes)['service.instance.id'] ?? '')
    for (const ss of r.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const span = s as { traceId: string, spanId: string, parentSpanId?: string, name: string, kind: number, attributes?: OtlpAttribute[], status?: { code?: number }, startTimeUnixNano: string | number, endTimeUnixNano: string | number }
        out.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          node,
          attributes: attrs(span.attributes),
          status: span.status?.code ?? 0,
          startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano)
        })
      }
    }
  }
  return out
}

/**
 * A real OTLP/HTTP receiver for tests, on 127.0.0.1: it takes POST /v1/traces with a JSON body
 * (what the nodes' exporter sends), answers 200 `{}` as the spec's success, and keeps every span.
 * Anything else is answered 404 and counted in `refused`.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = []
  /** Requests that were not a JSON POST to /v1/traces. */
  refused = 0
  /** Content types of the export requests taken. */
  readonly contentTypes = new Set<string>()
  readonly #server: Server

  constructor () {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          this.refused++
          res.writeHead(404).end()
          return
        }
        try {
          this.contentTypes.add(String(req.headers['content-type']))
          this.spans.push(...decodeTraces(JSON.parse(Buffer.concat(chunks).toString('utf8'))))
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        } catch {
          this.refused++
          res.writeHead(400).end()
        }
      })
    })
  }

  /** Listens on a free port; resolves with the endpoint to give the nodes (--otlp-endpoint). */
  async start (): Promise<string> {
    await new Promise<void>((resolve) => { this.#server.listen(0, '127.0.0.1', resolve) })
    const address = this.#server.address()
    if (address === null || typeof address === 'string') throw new Error('the receiver has no port')
    return `http://127.0.0.1:${address.port}`
  }

  /** The spans of one trace. */
  trace (traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId)
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
    // the listening handle is released on the loop's next turn after close's callback
    await new Promise<void>((resolve) => { setImmediate(resolve) })
  }
}
