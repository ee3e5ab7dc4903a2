import type { Stream } from '@libp2p/interface'
import { FrameReader, InvalidFrameError, decodeFrame } from '../../protocols/p2p/index.ts'
import type { Envelope } from '../../protocols/p2p/index.ts'

export interface InboundHandlers {
  /** The envelopes of one frame, checked whole, in order. */
  readonly envelopes: (envelopes: Envelope[]) => void
  /** The stream broke the protocol (InvalidFrameError) or failed otherwise; it is aborted. */
  readonly failed: (err: Error) => void
}

/**
 * Reads one inbound actor stream: chunks are handled as they arrive, synchronously (each frame's
 * messages are in their mailboxes before the next chunk is read), and each frame is checked whole
 * before any of its envelopes is used. A peer closing or resetting its stream is normal (it
 * stopped); only a frame that breaks the protocol, or a handler that throws, ends the stream here.
 */
export function readActorStream (stream: Stream, handlers: InboundHandlers): void {
  const reader = new FrameReader()
  const onFrame = (body: Uint8Array): void => { handlers.envelopes(decodeFrame(body)) }
  stream.addEventListener('message', (evt) => {
    if (stream.status !== 'open') return
    try {
      reader.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray(), onFrame)
    } catch (err) {
      const error = err instanceof Error ? err : new InvalidFrameError(String(err))
      handlers.failed(error)
      stream.abort(error)
    }
  })
}
