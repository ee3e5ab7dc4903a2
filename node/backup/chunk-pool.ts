import { availableParallelism } from 'node:os'
import { MessageChannel } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { BackupKey } from './backup-key.ts'
import type { ChunkSessionIn, ChunkSessionOut, ChunkSessionTask, WorkerChunk } from './chunk-worker.ts'
import type { ChunkerOptions } from './chunker.ts'
import { CorruptRecordError } from '../storage/index.ts'
import { BackupFormatError } from './errors.ts'

/** Partition streams one worker thread serves at once (each waits for its next piece most of the time). */
const SESSIONS_PER_THREAD = 4

const WORKER_FILE = new URL('./chunk-worker.ts', import.meta.url).href

/**
 * The worker threads a node's backups chunk, name, seal and digest their streams on (Piscina, one
 * thread per core by default): each partition's stream is one session on one worker, so a backup
 * reading several partitions at once keeps every core busy while its own thread reads the store and
 * sends chunks to their holders. Threads start with the first session and leave when idle.
 */
export class ChunkPool {
  readonly threads: number
  #pool: Piscina | undefined

  constructor (threads: number = availableParallelism()) {
    this.threads = Math.max(1, threads)
  }

  /** A new session for partition `partition`'s stream (undefined: other bytes, no record checked). `known`: chunks stored before (id → digest),
   * named, not sealed. A record of the stream whose seal does not match fails it with
   * CorruptRecordError (its key). */
  session (key: BackupKey, partition: number | undefined, known: ReadonlyMap<string, string>, chunker?: ChunkerOptions): ChunkSession {
    const { port1, port2 } = new MessageChannel()
    const task: ChunkSessionTask = { port: port2, key: key.forWorkers(), known: [...known], ...(partition !== undefined && { partition }), ...(chunker !== undefined && { chunker }) }
    const done = this.#workers().run(task, { transferList: [port2] }) as Promise<number>
    return new ChunkSession(port1, done)
  }

  #workers (): Piscina {
    // sessions wait on their ports most of the time: several share a thread
    this.#pool ??= new Piscina({ filename: WORKER_FILE, minThreads: 0, maxThreads: this.threads, concurrentTasksPerWorker: SESSIONS_PER_THREAD, idleTimeout: 5_000, atomics: 'disabled' })
    return this.#pool
  }

  async close (): Promise<void> {
    const pool = this.#pool
    this.#pool = undefined
    await pool?.destroy()
  }
}

/**
 * One partition stream on a worker: pieces go in the order pushed (the caller bounds how many are
 * on their way: PartitionStreamWriter), and each push resolves with the chunks its piece
 * completed, in order; `finish` with the last. A worker that fails rejects what waits, and every
 * push after.
 */
export class ChunkSession {
  readonly #port: MessagePort
  readonly #waiting: Array<{ resolve: (chunks: WorkerChunk[]) => void, reject: (err: Error) => void }> = []
  #failure: Error | undefined
  #ended = false

  constructor (port: MessagePort, done: Promise<number>) {
    this.#port = port
    port.on('message', (msg: ChunkSessionOut) => {
      if ('error' in msg) {
        // a record of the stream that failed its seal: the caller reads it again, checked
        this.#fail(msg.corrupt !== undefined ? new CorruptRecordError(msg.corrupt, 'its seal does not match its content (read as stored, for a backup)') : new BackupFormatError(`a chunk worker failed: ${msg.error}`))
        return
      }
      this.#waiting.shift()?.resolve(msg.chunks.map((c) => c.sealed === undefined ? c : { ...c, sealed: Buffer.from(c.sealed.buffer, c.sealed.byteOffset, c.sealed.byteLength) }))
      if (msg.end === true) port.close()
    })
    done.catch((err: unknown) => { this.#fail(err instanceof Error ? err : new Error(String(err))) })
  }

  /** The piece's chunks. Its memory (all of `bytes.buffer`) is moved to the worker: the caller
   * must not touch it again. */
  async push (bytes: Uint8Array): Promise<WorkerChunk[]> {
    return await this.#send({ bytes }, [bytes.buffer as ArrayBuffer])
  }

  /** Ends the stream: its last chunk (none when it ended on a cut). */
  async finish (): Promise<WorkerChunk[]> {
    if (this.#ended) throw new BackupFormatError('this chunk session is finished')
    this.#ended = true
    return await this.#send({ end: true }, [])
  }

  async #send (msg: ChunkSessionIn, transfer: ArrayBuffer[]): Promise<WorkerChunk[]> {
    if (this.#failure !== undefined) throw this.#failure
    const reply = new Promise<WorkerChunk[]>((resolve, reject) => { this.#waiting.push({ resolve, reject }) })
    try {
      this.#port.postMessage(msg, transfer)
    } catch {
      // memory that cannot move (a slice of Node's shared Buffer pool) is copied instead
      this.#port.postMessage(msg)
    }
    return await reply
  }

  #fail (err: Error): void {
    this.#failure ??= err
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure)
    this.#port.close()
  }
}

