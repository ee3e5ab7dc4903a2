/**
 * Timings and limits of the mesh. Those of failure detection (docs/protocol.md, "Failure
 * detection") mostly derive from config `failure-timeout` (F: how long a member may answer no
 * probe before it is down); the rest are bounds that hold whatever F is.
 */

/** A member is probed this many times per failure timeout: each round (a direct probe, then
 * indirect ones if it failed) has a few chances to be answered before the member is down. */
export const PROBES_PER_FAILURE_TIMEOUT = 6
/** Members a node probes in turn on each tick, besides those in focus (node/mesh/probe-schedule.ts):
 * the whole cluster probes each member about this many times a tick whatever its size, so a node's
 * probe traffic does not grow with the cluster (SWIM), and a cluster of up to this many + 1 members
 * probes every member every tick. A member found unanswering is told to the others
 * (member-alerts.ts), who then probe it every tick themselves. */
export const PROBE_FANOUT = 4
/** Rounds start at least this often, whatever F: a path that heals is tested again within a
 * second even with a long failure timeout (a new connection is probed at once anyway). */
export const PROBE_INTERVAL_MAX_MS = 1_000
/** ...and at most this often (a very short F must not turn probes into a flood). */
export const PROBE_INTERVAL_MIN_MS = 50

/** A direct probe waits F / this for its answer: a quarter, so that a round (direct, then
 * indirect through others, twice that) ends well within F and two rounds fit in about F. A member
 * busy enough to take a quarter of F to answer is one the cluster should suspect. */
export const PROBE_TIMEOUT_SHARE = 4
/** A direct probe waits at least this long, whatever F (a loopback round trip is well under 1 ms;
 * a busy node's event loop is not). */
export const PROBE_TIMEOUT_MIN_MS = 50
/** A member whose answers are slow (a busy node, a long path) gets a longer wait: smoothed round
 * trip + this many deviations (as TCP's retransmission timer, Jacobson/Karels; phi accrual's
 * lesson: judge lateness against the arrivals this member has shown), at most F / 2. */
export const PROBE_TIMEOUT_DEVIATIONS = 4

/** An indirect probe (a ping-req) waits this many direct probe timeouts for its helper's answer:
 * the helper probes the target with its own timeout, and both hops add a round trip. */
export const INDIRECT_TIMEOUT_FACTOR = 2
/** Members asked to probe a member that did not answer directly (SWIM's k; memberlist's
 * IndirectChecks is 3 too): one slow helper does not make a live member look dead. */
export const INDIRECT_HELPERS = 3

/** Rounds in a row that got no answer, directly or through others, before a member may be down
 * (and F since its last answer): one lost round is a hiccup, not a verdict. */
export const MISSED_ROUNDS_BEFORE_DOWN = 2
/** Direct probes in a row unanswered on one connection before it is aborted and redialled, once
 * its member answers only through others or is found dead: a connection that stays silent (a
 * silent network drop: TCP stays ESTABLISHED, nothing arrives) is replaced, one to a member that
 * is merely busy is not (aborting it would fail every ask on it). */
export const CONNECTION_MISSES_BEFORE_ABORT = 2
/** A probe's timer that fired later than this share of its timeout is this node's own event loop
 * being late (a long task, a GC pause), not the member: that probe counts neither way (Lifeguard's
 * local health awareness: a node that is slow itself must not accuse others). */
export const LATE_TIMER_SHARE = 0.5
/** A member whose pings say this many of its probes to this node in a row went unanswered does not
 * hear this node (Lifeguard's buddy system: the suspected member learns it is suspected). */
export const UNHEARD_AFTER_MISSES = 2

/** A member not connected is dialled again after 250 ms, doubling up to this when its dials fail
 * (a refused dial is cheap); one whose dial timed out (a silent network cut drops every SYN) is
 * dialled again after 250 ms each time, so that a healed path is tried within about a second of
 * the heal (every member up in every view within 3 s). */
export const MEMBER_REDIAL_MAX_MS = 1_000
/** One dial of a member: long enough for the SYN that Linux resends after 1 s, short enough that a
 * dial made during a cut is given up soon after it heals and a fresh one is made. */
export const MEMBER_DIAL_TIMEOUT_MS = 2_000
/** Members a node dials at a time (redialer.ts): each dial is a handshake (pnet, noise, yamux) on
 * both sides, and a node that joins a cluster of 30 must not start 29 at once on a busy machine
 * (they timed out, and were dialled again at once); the others wait their turn, the longest
 * waiting first. At 5 nodes every member is dialled at once, as before. */
export const MEMBER_DIALS_AT_ONCE = 4
/** A member that cannot be dialled is said in the log once, then at most this often. */
export const MEMBER_DIAL_LOG_EVERY_MS = 30_000

/**
 * gossipsub's mesh for the members' records and alerts (mesh-libp2p.ts). A record is published to
 * every connected member at once (gossipsub's flood publish, on by default); each member then
 * forwards what it had not seen to its mesh peers, and tells other peers what it holds once a
 * heartbeat (IHAVE, answered by IWANT for what they lack). gossipsub's defaults (a mesh of 6, up
 * to 12; IHAVE to 6 or a quarter of the others; IDONTWANT to the mesh for every message of 512
 * bytes or more) made each member send every record about 7 times at 10 nodes, and receive it as
 * often: the largest share of an idle member's CPU. Where every member is connected to every
 * other, the publisher's own sends reach them all; the mesh and the IHAVEs are for the members it
 * has no connection to (a one-way cut, a connection being redialled), and 3 forwards of each
 * record and IHAVE to 3 others still reach every member the publisher cannot. A record is about
 * 600 bytes: IDONTWANT (sent before the peers' own forwards, which on a LAN arrive first anyway)
 * only for messages larger than any record.
 */
export const GOSSIP_MESH = { D: 3, Dlo: 2, Dhi: 4, Dout: 1, Dscore: 1, Dlazy: 3, gossipFactor: 0.1, idontwantMinDataSize: 64 * 1024 } as const

/** The timing of probes for one failure timeout (ms). */
export interface ProbeTiming {
  /** config `failure-timeout`: no answer for this long (and MISSED_ROUNDS_BEFORE_DOWN rounds): down */
  readonly failureTimeoutMs: number
  /** a round of probes starts this often per member */
  readonly intervalMs: number
  /** a direct probe waits at least this long (more for a member whose answers are slow) */
  readonly timeoutMs: number
  /** a ping-req waits this long for its helper's answer */
  readonly indirectTimeoutMs: number
}

export function probeTiming (failureTimeoutMs: number): ProbeTiming {
  if (!(failureTimeoutMs > 0)) throw new RangeError(`failureTimeout must be > 0, got ${failureTimeoutMs}`)
  const timeoutMs = Math.max(PROBE_TIMEOUT_MIN_MS, Math.floor(failureTimeoutMs / PROBE_TIMEOUT_SHARE))
  return {
    failureTimeoutMs,
    intervalMs: Math.min(PROBE_INTERVAL_MAX_MS, Math.max(PROBE_INTERVAL_MIN_MS, Math.floor(failureTimeoutMs / PROBES_PER_FAILURE_TIMEOUT))),
    timeoutMs,
    indirectTimeoutMs: timeoutMs * INDIRECT_TIMEOUT_FACTOR
  }
}

/** A peer connected this long (or a member answering probes) from which no member record arrived
 * for this long: its gossip stream to this node is broken while the connection lives (gossipsub
 * keeps one outbound stream per peer and makes no new one on a second connection: a member that
 * restarted and reconnected before the old connection's close was seen is never sent a record
 * again). The connection is closed and dialled again, which makes the streams anew. At least this
 * long, and found quiet at GOSSIP_QUIET_BEATS heartbeats in a row that fired on time (after this
 * node's own event loop was busy, queued records may not have been read yet: that is no sign). */
export const GOSSIP_QUIET_MS = 3_000
export const GOSSIP_QUIET_BEATS = 4
/** A peer whose gossip is reset keeps its connection at least this long before the next reset,
 * doubling up to GOSSIP_RESET_MAX_MS while it stays quiet (a broken peer is not redialled in a
 * loop). */
export const GOSSIP_RESET_MIN_MS = 5_000
export const GOSSIP_RESET_MAX_MS = 60_000

/** A join address not connected is dialled again after this long, doubling up to
 * JOIN_REDIAL_MAX_MS (MEMBER_REDIAL_MAX_MS for a member), for as long as the node runs: a node may
 * start before the one it joins, and one cut off from everyone finds its way back. */
export const REDIAL_MIN_MS = 250
export const JOIN_REDIAL_MAX_MS = 5_000
/** One dial of one address: a peer with another cluster key may hang the handshake instead of
 * resetting it (the mismatched pnet key turns the noise handshake into noise), so every dial is
 * bounded. */
export const DIAL_TIMEOUT_MS = 3_000
/** mDNS queries this often: a node started on the LAN is found within seconds, and the LAN is not
 * flooded (each query is a multicast to every host). */
export const MDNS_INTERVAL_MS = 10_000
/** The mDNS service tag: it keeps Plexi clusters apart from other libp2p software on the LAN. */
export const MDNS_SERVICE_TAG = 'plexi.local'
/** The first line of a libp2p pre-shared key file (`plexi cluster keygen`): libp2p's pnet format. */
export const PSK_HEADER = '/key/swarm/psk/1.0.0/'
/** Malformed member records logged, at most, over a node's life: a peer holding the cluster key
 * but sending garbage is refused every time, and said only a few times. */
export const RECORD_REFUSALS_LOGGED = 10
/** Heartbeats (member records published) per failure timeout, and their bounds: a member is heard
 * soon after it starts, and redials are tried at that pace, at least once a second whatever F;
 * never more often than every HEARTBEAT_MIN_MS (a very short F must not flood gossipsub). */
export const HEARTBEATS_PER_FAILURE_TIMEOUT = 6
/** Member records the whole cluster publishes per heartbeat when nothing changes, beyond
 * RECORDS_EVERY_BEAT_UP_TO members: a member sends its record on a change at once, else every
 * ceil(N / this) heartbeats, so that what each node receives does not grow with the cluster
 * (node/mesh/record-pacing.ts). An unchanged record only refreshes a member's load figures (shown
 * to operators, used by nothing that decides) and makes up for a record lost on the way: 2 a
 * heartbeat (4 a second over the whole cluster at the default failure timeout) is enough for both.
 * With 5, every member received, checked and forwarded 10 records a second: the largest share of
 * an idle member's CPU. */
export const RECORDS_PER_HEARTBEAT = 2
/** Up to this many members, each sends its record every heartbeat (as before issue 41): in a
 * cluster this small that costs little, and a member that restarts is heard again within a
 * heartbeat whatever reached it first. With 2 a heartbeat at 5 members (a record every 1.5-4.5 s
 * at the 10 s failure timeout of the rolling-restart spec), that spec's restarted members were
 * given rooms back while some were still being taken ("rebalance/cold"), when run beside another
 * suite: not found why, and not risked. */
export const RECORDS_EVERY_BEAT_UP_TO = 5
export const HEARTBEAT_MIN_MS = 100
export const HEARTBEAT_MAX_MS = 1_000

/** Protocol violations of one kind (actor frames, probe streams) logged per minute, at most: a
 * broken member must not flood the log, and a few lines say what it does. */
export const REFUSALS_LOGGED_PER_MINUTE = 10
/** A forwarded ask is forgotten after this long (its asker's own timeout still holds: this only
 * bounds the memory of asks whose answer never came). */
export const FORWARDED_ASK_MS = 60_000
/** How often forwarded asks older than FORWARDED_ASK_MS are dropped from the links: a few times
 * per FORWARDED_ASK_MS is enough to bound them. */
export const ASK_SWEEP_MS = 10_000
/** How long a joining node waits for a member to say which members it hears: a round trip and a
 * busy actor's turn; a member that does not say in time counts with its own record only. */
export const MEMBERS_ASK_MS = 2_000
