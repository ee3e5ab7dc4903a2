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
  // the peer is done sending: close this end too (this node never writes on it). Left half open,
  // the stream would hold one of the connection's MAX_INBOUND_STREAMS for as long as the
  // connection lives, and a peer that closed four would never open an actor stream again
  stream.addEventListener('remoteCloseWrite', () => {
    stream.close().catch((err: unknown) => { stream.abort(err instanceof Error ? err : new Error(String(err))) })
  }, { once: true })
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
