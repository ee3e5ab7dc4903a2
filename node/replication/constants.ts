/** Partitions of the keyspace unless the cluster was created with another number. A power of two
 * well above any cluster's storage node count, so that partitions spread evenly (256 over 5 nodes:
 * each holds 153 ± 8 replicas) while the per-partition bookkeeping (one shard-holder actor per
 * replica, one Merkle tree each in issue 13) stays small. */
export const DEFAULT_PARTITIONS = 256

/** Replicas of each partition unless configured: three tolerate one node down with a majority left
 * and a second lost without losing data. Fewer when the cluster has fewer storage nodes. */
export const DEFAULT_REPLICATION_FACTOR = 3

/** Segments of a log summary sent in a reply: the epochs an entity's log went through, newest
 * last. An owner finds where two logs part within these; a replica further behind than this many
 * epochs is rewritten from seq 1 (rare: it missed that many activations of the entity). */
export const SUMMARY_SEGMENTS = 32

/** Fence rounds an owner tries (each above the highest promise it heard) before giving up: two
 * owners racing for an entity settle in a round or two; more means placement disagrees for long. */
export const FENCE_ATTEMPTS = 6
/** Backoff between fence rounds (jittered, doubling). */
export const FENCE_BACKOFF_MIN_MS = 20
/** While the roster changes, every node's answer to a fence is read (a record may be on any of
 * them): a node that did not answer (a lost message, a slow reply) is asked again, up to this many
 * times in all, as long as it is not known to be down (membership marks a silent node down within
 * failure-timeout, which ends the retries). */
export const FENCE_CALL_TRIES = 8
export const FENCE_BACKOFF_MAX_MS = 500

/** Backoff between tries to reach a replica that did not answer (jittered, doubling). */
export const RETRY_MIN_MS = 50
export const RETRY_MAX_MS = 2_000

/** Records per append request to one replica, and per read: a page must fit in a mesh frame. */
export const APPEND_BATCH_RECORDS = 256
export const READ_PAGE_RECORDS = 256

/** Records still in flight (appended, not yet acknowledged) that a live move's hand-over carries
 * to the next owner, at most (docs/replication.md, "Hand-over"): one append request's worth. An
 * owner with more waits for them before it hands over. */
export const HANDOVER_RECORDS = APPEND_BATCH_RECORDS

/** Recent records an owner keeps in memory to catch up a replica that fell behind, beyond which it
 * reads them from a replica in step. */
export const OWNER_TAIL_RECORDS = 4_096

/** How long an append waits for W replicas before it fails (the entity then restarts and fences
 * again). A replica down is not waited for while W others answer. */
export const DEFAULT_APPEND_TIMEOUT_MS = 10_000

/** Journals one node takes (fence and recover) at once; more wait their turn. When a member dies
 * every gateway resubscribes its rooms at once and every room that had subscribers is activated on
 * its new owner: this bounds that burst (no activation storm), each open taking milliseconds. */
export const MAX_CONCURRENT_OPENS = 32

/** Longest entity id a replica takes (type/key; keys are at most 128 characters). */
export const MAX_ENTITY_ID_LENGTH = 300

/** An owner's lease (docs/replication.md, "Leases") unless configured (`lease-ms`): a replica that
 * took an append or a lease renewal of an owner refuses a newer fence for this long on its own
 * clock, so the owner may serve reads from what it holds without asking anyone. Failover after a
 * crash waits up to this long (what is left of it when the crash is seen: an owner in use renews
 * at half), a live hand-over or a stop does not (the holder lets go): 1.5 s keeps a failover within
 * the 2 s docs/performance.md sets for it, and an entity that is read but not written renews its
 * lease (one message per replica, no disk write) every 0.75 s at most. */
export const DEFAULT_LEASE_MS = 1_500
/** The assumed bound on how far two nodes' clocks may disagree about a duration (`max-clock-drift`):
 * quartz drifts about 0.0001, NTP slews at most 0.0005; 0.01 leaves a factor of 20 and costs 1% of
 * the lease. */
export const DEFAULT_MAX_CLOCK_DRIFT = 0.01
/** The longest wait a replica's lease refusal may ask for (checked on replies). */
export const MAX_LEASE_WAIT_MS = 600_000
/** A new activation waits for another owner's lease at most this many leases in all, then gives up
 * (EntityLeaseHeldError): an owner that keeps renewing is alive and serving. Not fewer: a node
 * that restarts holds back fences for one lease as it starts (it may have granted one it forgot),
 * after the lease of the owner that stopped with it, and a rolling restart met both in a row. */
export const LEASE_WAITS = 3
/** A new activation refused for a lease waits it out plus up to this share of a lease more, at
 * random: two activations taking one entity at once (views that disagree for a moment) each hold
 * a part of its replicas and are refused together; they ask again apart, and one takes them all. */
export const LEASE_CONTENTION_JITTER = 0.1
