import { yamux } from '@chainsafe/libp2p-yamux'
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

const GUARDED = Symbol.for('plexi.yamux-guard')

type Guarded = Record<string, unknown> & { [GUARDED]?: true }

/** Wraps `proto[method]` so that a StreamStateError (the connection under the muxer is closed for
 * writing) goes to `closed` instead of up the stack; every other error is thrown as before. */
function guard (proto: Guarded, method: string, closed: (self: Guarded, err: Error) => void): void {
  const original = proto[method] as (...args: unknown[]) => unknown
  proto[method] = function (this: Guarded, ...args: unknown[]): unknown {
    try {
      return original.apply(this, args)
    } catch (err) {
      if ((err as Error | undefined)?.name !== 'StreamStateError') throw err
      closed(this, err as Error)
      return undefined
    }
  }
}

/**
 * yamux (8.0.1) with two frames that may be sent on a connection already closed under it made
 * harmless. A new outbound stream sends its first window update in a microtask queued by
 * newStream(); when the connection closed in between (this node closes a connection to dial it
 * again while a probe or the gossip opens a stream on it), that send threw StreamStateError in the
 * microtask, where no caller can catch it: an uncaught exception, which stops the node (one of 30
 * nodes did, issue 41). The stream is aborted with the error instead, so whoever opened it sees it
 * fail as on any closed connection. And a muxer aborted because a frame could not be sent (a ping
 * answered on a connection closed for writing) sends a go-away on that same connection, which threw
 * again from inside an event listener: it is skipped, as there is no one left to tell. Every other
 * error is thrown as before. And a stream's window is given back when half of it is consumed, not
 * after every frame (lazyWindowUpdates). Used for every libp2p node of the mesh (mesh-libp2p.ts).
 */
export function guardedYamux (init?: Parameters<typeof yamux>[0]): ReturnType<typeof yamux> {
  const make = yamux(init)
  return () => {
    const factory = make()
    const create = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (maConn) => {
      const muxer = create(maConn)
      guardPrototypes(Object.getPrototypeOf(muxer) as Guarded)
      return muxer
    }
    return factory
  }
}

/** The stream states in which a window update carries no flag: it only gives the sender room, and
 * may wait (Init sends SYN, SYNReceived sends ACK, Paused keeps its own bookkeeping: those go
 * through as before). */
const FLAGLESS_STATES = new Set<number>([StreamState.SYNSent, StreamState.Established, StreamState.Finished])

/** What lazyWindowUpdates reads of a stream (yamux 8.0.1's own fields). */
interface WindowState { state: number, recvWindow: number, recvWindowCapacity: number }

/**
 * yamux 8.0.1 sends a window update (a frame of its own: one more encrypted write and packet each
 * way, and a decode at the other end) after every data frame a stream receives, however little it
 * consumed: at 10 idle nodes half of a node's socket writes were those 12-byte frames. Here a
 * stream gives its window back once half of it is consumed (as Go's yamux and the spec's
 * reference implementation do); the sender, whose window is 256 KiB at least, never waits on a
 * window that is not half consumed, so no stream stalls. A frame with a flag (SYN, ACK) and a
 * paused stream's bookkeeping go through at once, as before. The same frames on the wire.
 */
function lazyWindowUpdates (proto: Guarded): void {
  const original = proto.sendWindowUpdate as (this: unknown) => void
  proto.sendWindowUpdate = function (this: WindowState): void {
    if (FLAGLESS_STATES.has(this.state) && this.recvWindow - this.recvWindowCapacity < this.recvWindow / 2) return
    original.call(this)
  }
}

function guardPrototypes (muxer: Guarded): void {
  const stream = YamuxStream.prototype as unknown as Guarded
  if (stream[GUARDED] !== true) {
    lazyWindowUpdates(stream)
    guard(stream, 'sendWindowUpdate', (self, err) => { (self.abort as (e: Error) => void).call(self, err) })
    stream[GUARDED] = true
  }
  if (muxer[GUARDED] !== true) {
    guard(muxer, 'sendGoAway', () => {})
    muxer[GUARDED] = true
  }
}
