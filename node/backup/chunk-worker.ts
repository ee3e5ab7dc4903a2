import type { KeyObject } from 'node:crypto'
import type { MessagePort } from 'node:worker_threads'
import { BackupKey } from './backup-key.ts'
import { ciphertextDigest, sealComputedChunk } from './chunk-crypto.ts'
import { Chunker } from './chunker.ts'
import type { ChunkerOptions } from './chunker.ts'
import { StoredStreamCheck } from './stream-check.ts'
import { CorruptRecordError } from '../storage/light.ts'

/** One chunk as a worker made it: its id and plaintext size, the SHA-256 of its seal, and the
 * sealed bytes (absent: a chunk stored before, named by `known`, not sealed again). */
export interface WorkerChunk {
  readonly id: string
  readonly size: number
  readonly digest: string
  readonly sealed?: Uint8Array
}

/** A partition stream's chunking, as ChunkPool asks a worker for it. */
export interface ChunkSessionTask {
  /** Pieces of the stream come in on it ({ bytes } in order, then { end: true }); for each, one
   * { chunks } goes back, in the same order (the last with end: true), or one { error }. */
  readonly port: MessagePort
  /** BackupKey.forWorkers() of the backup's key. */
  readonly key: KeyObject
  /** Chunks stored by earlier backups and still held: id, digest of their stored seal. */
  readonly known: ReadonlyArray<readonly [string, string]>
  readonly chunker?: ChunkerOptions
  /** The stream's partition: each record it holds as stored has its seal checked against its key
   * on the way (StoredStreamCheck). Absent: bytes that are not a partition's stream, not checked. */
  readonly partition?: number
}

export type ChunkSessionIn = { readonly bytes: Uint8Array } | { readonly end: true }
export type ChunkSessionOut = { readonly chunks: WorkerChunk[], readonly end?: true } | { readonly error: string, readonly corrupt?: string }

/**
 * A worker's side of one partition stream (ChunkPool): every record's seal checked as the pieces
 * come (StoredStreamCheck), content-defined chunks cut, each named (HMAC-SHA-256 under the key's
 * id key), sealed (AES-256-GCM) and digested (SHA-256) unless `known` names it. Resolves with the stream's bytes once its end came.
 */
export default async function chunkSession (task: ChunkSessionTask): Promise<number> {
  const key = new BackupKey(task.key)
  const known = new Map(task.known)
  const chunker = new Chunker(task.chunker)
  const check = task.partition === undefined ? undefined : new StoredStreamCheck(task.partition)
  let bytes = 0
  const seal = (chunk: Uint8Array): WorkerChunk => {
    const id = key.chunkId(chunk)
    const digest = known.get(id)
    if (digest !== undefined) return { id, size: chunk.byteLength, digest }
    const sealed = sealComputedChunk(key, id, chunk)
    return { id, size: chunk.byteLength, digest: ciphertextDigest(sealed), sealed }
  }
  return await new Promise<number>((resolve) => {
    task.port.on('message', (msg: ChunkSessionIn) => {
      try {
        let chunks: WorkerChunk[]
        if ('bytes' in msg) {
          bytes += msg.bytes.byteLength
          check?.push(msg.bytes)
          chunks = chunker.push(msg.bytes).map(seal)
        } else {
          const last = chunker.flush()
          chunks = last === undefined ? [] : [seal(last)]
        }
        // the sealed bytes move to the main thread rather than being copied (each is a buffer of its own)
        const transfer = chunks.flatMap((c) => c.sealed !== undefined && c.sealed.byteOffset === 0 && c.sealed.byteLength === c.sealed.buffer.byteLength ? [c.sealed.buffer as ArrayBuffer] : [])
        task.port.postMessage({ chunks, ...('end' in msg && { end: true }) } satisfies ChunkSessionOut, transfer)
        if ('end' in msg) {
          task.port.close()
          resolve(bytes)
        }
      } catch (err) {
        const corrupt = err instanceof CorruptRecordError ? { corrupt: err.key } : {}
        task.port.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), ...corrupt } satisfies ChunkSessionOut)
        task.port.close()
        resolve(bytes)
      }
    })
  })
}

