/** A peer id short enough for a table column: its start and its end (which job ids carry). */
export function shortPeer (peerId: string): string {
  return peerId.length <= 16 ? peerId : `${peerId.slice(0, 6)}…${peerId.slice(-6)}`
}
