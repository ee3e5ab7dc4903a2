import type { ConnectionProtector, MessageStream } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'
import type { ConnectionStalls } from './connection-stalls.ts'

/**
 * Bytes the pnet layer encrypts in one go, at most. pnet's cipher (xsalsa20 1.2, WebAssembly) keeps
 * every connection's data in one module-wide memory of 640 KiB that grows to fit a larger write, up
 * to 64 MiB; but each cipher keeps its own view of that memory, and a view taken before a growth
 * reads as empty afterwards, so every cipher's next update grows the memory again, by a page or
 * more. One write over ~640 KiB (a hand-over or a snapshot of a large entity, a backlog flushed at
 * once) thus leads, about a thousand updates later, to a RangeError thrown from inside a
 * connection's event handler: an uncaught exception that stops the node. Writes of at most this
 * size, with reads (one socket read each, 64 KiB) never grow that memory.
 */
export const PNET_MAX_WRITE_BYTES = 64 * 1024

/**
 * libp2p's pre-shared-key protector (the cluster key), with what it encrypts cut into pieces of
 * at most PNET_MAX_WRITE_BYTES. The same bytes on the wire: it talks to any pnet peer. `stalls`:
 * every protected connection is registered there (tests stall chosen ones as a silent network
 * drop would).
 */
export function clusterKeyProtector (init: { readonly psk: Uint8Array, readonly stalls?: ConnectionStalls }): () => ConnectionProtector {
  const pnet = preSharedKey({ psk: init.psk })
  return () => {
    const inner = pnet()
    return {
      [Symbol.toStringTag]: '@libp2p/pnet',
      async protect (connection, options): Promise<MessageStream> {
        const stream = await inner.protect(connection, options)
        // @libp2p/utils' message streams send their write buffer in pieces of maxMessageSize (an
        // init option pnet does not pass on); each piece is one cipher update
        ;(stream as MessageStream & { maxMessageSize?: number }).maxMessageSize = PNET_MAX_WRITE_BYTES
        init.stalls?.watch(stream, (connection as { remoteAddr?: { toString (): string } }).remoteAddr?.toString() ?? '')
        return stream
      }
    }
  }
}
