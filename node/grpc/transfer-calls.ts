import type * as grpc from '@grpc/grpc-js'
import { PermissionDeniedError } from '../../actors/index.ts'
import type { ActorSystem } from '../../actors/index.ts'
import { EXPORT_FORMATS, InvalidRequestError } from '../../protocols/index.ts'
import type { ExportFormat, ImportReport } from '../../protocols/index.ts'
import { Exporter, Importer, exportChunks, fileLines, roomExportOptions, spoolImport } from '../transfer/index.ts'
import type { ExportStream, ImportTarget } from '../transfer/index.ts'
import { agentCaller, authenticateCall } from './call-auth.ts'
import type { CallAuthDeps } from './call-auth.ts'
import { checkRoom } from './chat-request.ts'
import type { StatusError } from './grpc-status.ts'

export interface TransferCallsDeps extends CallAuthDeps {
  readonly system: Pick<ActorSystem, 'entity'>
  /** The node's exporter (reading its own replicas where it can); absent: one of `system` alone. */
  readonly exporter?: Exporter | undefined
}

interface ExportRequest { readonly room?: string, readonly user?: string, readonly format?: string }
interface ImportChunk { readonly room?: string, readonly user?: string, readonly dryRun?: boolean, readonly data?: Uint8Array }

type Failure = (call: string, err: unknown) => StatusError

/**
 * Export and Import of the chat and agent services (docs/api.md, "Export and import"): a user
 * exports any room and their own agent conversation, and imports an export into a room (as its
 * poster of record) or into their own agent. An export streams as chunks of its text, with the
 * count of its records first (for a progress bar); an import's chunks are spooled to a temporary
 * file, checked whole, then imported in batches.
 */
export class TransferCalls {
  readonly #deps: TransferCallsDeps
  readonly #failure: Failure
  readonly #exporter: Exporter
  readonly #importer: Importer

  constructor (deps: TransferCallsDeps, failure: Failure) {
    this.#deps = deps
    this.#failure = failure
    this.#exporter = deps.exporter ?? new Exporter({ system: deps.system })
    this.#importer = new Importer({ system: deps.system })
  }

  /** The Export handler of the chat service (`room`) or of the agent service (`agent`). */
  exportHandler (kind: 'room' | 'agent'): grpc.handleServerStreamingCall<ExportRequest, unknown> {
    return (call) => {
      // it answers every failure on the call itself: nothing is left to reject
      void this.#export(kind, call)
    }
  }

  /** The Import handler of the chat service (`room`) or of the agent service (`agent`). */
  importHandler (kind: 'room' | 'agent'): grpc.handleClientStreamingCall<ImportChunk, unknown> {
    return (call, callback) => {
      this.#import(kind, call).then((report) => { callback(null, wireReport(report)) }, (err: unknown) => {
        callback(this.#failure('Import', err) as grpc.ServiceError)
      })
    }
  }

  async #export (kind: 'room' | 'agent', call: grpc.ServerWritableStream<ExportRequest, unknown>): Promise<void> {
    let stream: ExportStream
    let format: ExportFormat
    try {
      const req = call.request
      format = formatOf(req.format)
      if (kind === 'room') {
        await authenticateCall(call, this.#deps)
        stream = await this.#exporter.room(checkRoom(req.room), roomExportOptions(format))
      } else {
        stream = await this.#exporter.agent(await agentCaller(call, this.#deps, req.user))
      }
    } catch (err) {
      call.emit('error', this.#failure('Export', err))
      return
    }
    try {
      const { header } = stream
      let records = header.to - header.from + 1
      for await (const data of exportChunks(stream, format)) {
        if (call.cancelled) return
        const more = call.write({ data, records: Math.max(0, records), done: stream.progress().done })
        records = 0
        // the client reads slower than the export is made: wait, holding one chunk at most
        if (!more) await new Promise<void>((resolve) => { call.once('drain', resolve); call.once('cancelled', resolve) })
      }
      call.end()
    } catch (err) {
      call.emit('error', this.#failure('Export', err))
    }
  }

  async #import (kind: 'room' | 'agent', call: grpc.ServerReadableStream<ImportChunk, unknown>): Promise<ImportReport> {
    const caller = await authenticateCall(call, this.#deps)
    let first: ImportChunk | undefined
    const spool = await spoolImport((async function * () {
      for await (const chunk of call as AsyncIterable<ImportChunk>) {
        first ??= chunk
        if (chunk.data !== undefined && chunk.data.byteLength > 0) yield chunk.data
      }
    })())
    try {
      if (first === undefined) throw new InvalidRequestError('no chunk came: send the export in ImportChunks, the first naming the target')
      const target: ImportTarget = kind === 'room'
        ? { kind, name: checkRoom(first.room) }
        : { kind, name: ownAgent(caller, first.user) }
      return await this.#importer.import(() => fileLines(spool.path), target, caller, { dryRun: first.dryRun === true })
    } finally {
      await spool.remove()
    }
  }
}

/** The agent an agent import goes to: the caller's own (PermissionDeniedError for another's). */
function ownAgent (caller: string, requested: string | undefined): string {
  if (requested !== undefined && requested !== '' && requested !== caller) {
    throw new PermissionDeniedError(`${caller} may not import into ${requested.slice(0, 40)}'s agent; only its own user may`)
  }
  return caller
}

function formatOf (format: string | undefined): ExportFormat {
  if (format === undefined || format === '') return 'json'
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new InvalidRequestError(`format: expected one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format.slice(0, 20))}`)
  return format as ExportFormat
}

function wireReport (r: ImportReport): unknown {
  return { ...r, firstSeq: r.firstSeq ?? 0, lastSeq: r.lastSeq ?? 0 }
}
