import type { Stream } from '@libp2p/interface'
import { FrameReader, InvalidFrameError, MAX_PROBE_FRAME_BYTES, decodeProbe } from '../../protocols/p2p/index.ts'
import type { ProbeFrame } from '../../protocols/p2p/index.ts'

/**
 * Reads the one probe frame a stream carries: its length prefix and body (FrameReader, as actor
 * frames), checked by decodeProbe. More than one frame's bytes, a frame over MAX_PROBE_FRAME_BYTES,
 * or a stream that ends before its frame is refused (InvalidFrameError, or the stream's own
 * error); `signal` bounds the wait.
 */
export function readProbeFrame (stream: Stream, signal: AbortSignal): Promise<ProbeFrame> {
  return new Promise<ProbeFrame>((resolve, reject) => {
    const reader = new FrameReader()
    let received = 0
    let frame: ProbeFrame | undefined
    const done = (err: Error | undefined, value?: ProbeFrame): void => {
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('close', onClose)
      stream.removeEventListener('remoteCloseWrite', onEnd)
      signal.removeEventListener('abort', onAbort)
      if (err !== undefined) reject(err)
      else resolve(value as ProbeFrame)
    }
    const onMessage = (evt: { data: Uint8Array | { subarray: () => Uint8Array } }): void => {
      const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      received += chunk.byteLength
      try {
        // a varint of at most 2 bytes holds any probe frame's length
        if (frame !== undefined || received > MAX_PROBE_FRAME_BYTES + 2) throw new InvalidFrameError(`a probe stream carries one frame of at most ${MAX_PROBE_FRAME_BYTES} bytes`)
        reader.push(chunk, (body) => {
          if (frame !== undefined) throw new InvalidFrameError('a probe stream carries one frame')
          frame = decodeProbe(body)
          if (received !== body.byteLength + (body.byteLength < 128 ? 1 : 2)) throw new InvalidFrameError('bytes after the probe frame')
        })
      } catch (err) {
        done(err instanceof Error ? err : new InvalidFrameError(String(err)))
        return
      }
      if (frame !== undefined) done(undefined, frame)
    }
    const onEnd = (): void => { done(new InvalidFrameError('the probe stream ended before its frame')) }
    const onClose = (evt: { error?: Error }): void => { done(evt.error ?? new Error('the probe stream closed before its frame')) }
    const onAbort = (): void => { done(signal.reason instanceof Error ? signal.reason : new Error('probe timed out')) }
    if (signal.aborted) {
      onAbort()
      return
    }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', onClose)
    stream.addEventListener('remoteCloseWrite', onEnd)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
