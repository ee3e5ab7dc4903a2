import protobuf from 'protobufjs'
import { fileURLToPath } from 'node:url'

const PROTO = fileURLToPath(new URL('./google/rpc/retry-info.proto', import.meta.url))

/** Metadata key of the standard rich error details (a serialized google.rpc.Status). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin'
/** Plexi's plain twin of RetryInfo, for clients that do not decode status details. */
export const RETRY_AFTER_KEY = 'retry-after-ms'

/**
 * Encodes google.rpc.Status carrying a google.rpc.RetryInfo, as gRPC clients in every language
 * read it from `grpc-status-details-bin`.
 */
export function encodeRetryStatus (root: protobuf.Root, code: number, message: string, retryAfterMs: number): Uint8Array {
  const RetryInfo = root.lookupType('google.rpc.RetryInfo')
  const Status = root.lookupType('google.rpc.Status')
  const delay = Math.max(0, Math.ceil(retryAfterMs))
  const retryInfo = RetryInfo.encode(RetryInfo.create({
    retryDelay: { seconds: Math.floor(delay / 1000), nanos: (delay % 1000) * 1_000_000 }
  })).finish()
  return Status.encode(Status.create({
    code,
    message,
    details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: retryInfo }]
  })).finish()
}

/** Reads the retry delay back (clients and tests). */
export function decodeRetryStatus (root: protobuf.Root, bytes: Uint8Array): { code: number, message: string, retryAfterMs: number | undefined } {
  const Status = root.lookupType('google.rpc.Status')
  const RetryInfo = root.lookupType('google.rpc.RetryInfo')
  const status = Status.toObject(Status.decode(bytes), { longs: Number }) as { code: number, message: string, details?: Array<{ typeUrl: string, value: Uint8Array }> }
  const detail = status.details?.find((d) => d.typeUrl.endsWith('/google.rpc.RetryInfo'))
  let retryAfterMs: number | undefined
  if (detail !== undefined) {
    const info = RetryInfo.toObject(RetryInfo.decode(detail.value), { longs: Number }) as { retryDelay?: { seconds?: number, nanos?: number } }
    retryAfterMs = (info.retryDelay?.seconds ?? 0) * 1000 + Math.round((info.retryDelay?.nanos ?? 0) / 1_000_000)
  }
  return { code: status.code, message: status.message, retryAfterMs }
}

/** The google.rpc types, loaded once by whoever needs them (no module-level state). */
export function loadRetryInfoTypes (): protobuf.Root {
  return protobuf.loadSync(PROTO)
}
