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
/** How long a rewrite or a trim that W replicas took waits for the rest of the set (ms): a redacted
 * post's text must leave every replica, and what one misses it keeps until anti-entropy. One that
 * is up but slow (an erasure's rewrites of a room take 1–2.5 s on the conversations bench's loaded
 * cluster, its stores compacting) is waited for as long as an append waits for W; one cut off
 * without a word is not waited for once membership marks it down (failure-timeout, 3 s by
 * default), and one that is down gets it from anti-entropy. */
export const EDIT_EVERY_REPLICA_MS = 10_000

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

/** Takes of one open, at most, when the storage roster changes while each is under way (a take
 * planned on a view it no longer holds starts again under the new one: docs/replication.md,
 * "Roster changes"). A roster settles within a few changes; more, and the open fails with
 * RosterChangedError (the caller retries later). */
export const REPLAN_ATTEMPTS = 4

/** How long a take waits, at most, for its node to know the configuration version of the entity's
 * partition, or to catch up with one a replica refused it for (docs/replication.md, "Roster
 * versions": a follower step is a second; a catch-up a refusal asks for starts at once). Then the
 * open fails with VersionBehindError (retryable). */
export const VERSION_WAIT_MS = 5_000

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

/** How long an owner waits for a replica on another node to answer one request (a replica that
 * is down is not waited for: the others make the quorum, and its pump retries with backoff). */
export const REPLICA_ASK_MS = 3_000

/** Hand-over tickets a node remembers having taken (each is used once: a message delivered twice
 * must not let two activations write one epoch from the same head). Oldest forgotten first; a
 * move's ticket is taken within seconds of being handed over. */
export const TAKEN_TICKETS = 65_536

/** Replicas a hand-over ticket may name: replication-factor is at most 7. */
export const MAX_TICKET_REPLICAS = 7
/** Sources a ticket may name: former holders are the cluster's other storage nodes. */
export const MAX_TICKET_SOURCES = 1_024
/** A ticket's id: a UUID (36 characters), with room to spare. */
export const MAX_TICKET_ID_LENGTH = 64
/** An activation's name in a ticket: a UUID (36 characters), with room to spare. */
export const MAX_ACTIVATION_LENGTH = 128
/** A node's name in a ticket: a peer id (52 characters for Ed25519), with room to spare. */
export const MAX_NODE_LENGTH = 128

/** How often the partitions' write quorums are looked at again besides WriteQuorum.update() (a
 * view change calls it): a lost quorum is said and refused within half a second even when no view
 * change came with it. */
export const WRITE_QUORUM_CHECK_MS = 500
/** Partition numbers a log line names at most: the rest are counted, not listed. */
export const LOGGED_PARTITIONS = 16

// ---- a replica's side ---------------------------------------------------------------------------

/** Entities whose state a replica keeps in memory (the rest are loaded on demand): a few hundred
 * bytes each, so 50,000 cost tens of MB and cover the entities a node serves at once. */
export const STATE_CACHE = 50_000
/** Grants between two sweeps of expired leases (an idle entity's lease is forgotten then): often
 * enough that the lease table stays small, seldom enough that a sweep costs nothing per grant. */
export const LEASE_SWEEP_GRANTS = 4_096

/** Leaves of each partition's Merkle tree here: 256 buckets of entities (8 KiB of leaves per
 * partition this replica holds records of). */
export const REPLICA_MERKLE_DEPTH = 8

/** Entities whose digests a replica keeps in memory (~150 bytes each); beyond, they are read from
 * the store when anti-entropy asks. */
export const ENTITY_DIGESTS = 500_000

/** Seqs per span digest kept in memory (block i of an entity: seqs 4i + 1 to 4i + 4): anti-entropy
 * narrows a differing entity down to a block of 4 records without reading either side's store,
 * and checks only those records here (each read and its SHA-256 verified: the cost of a differing
 * entity, where blocks of 16 cost four times as much). */
export const SPAN_BLOCK = 4

/** Memory for kept span digests (8 bytes a record: 32 per block of 4, and room to grow), about 8
 * million records' worth; past it, the entities whose blocks would grow it give theirs up and
 * their spans are read from the store. */
export const SPAN_DIGEST_BYTES = 64 * 1_048_576

/** Entities whose partition a replica remembers (then forgets them all and starts again): a
 * partition is a SHA-256 of the id, and anti-entropy asks it of one entity many times over. */
export const PARTITIONS_REMEMBERED = 65_536
/** Reads of at most this many records go by their keys (LevelStore.getMany, gathered with other
 * reads) rather than as a range: anti-entropy's reads of a few records of many entities. */
export const SMALL_READ = 64

/** Most hashes one `tree` request may ask for (a level of a depth-8 tree is 256). */
export const MAX_TREE_HASHES = 1_024
/** Most entities one `entities` page may list: a summary is at most a few hundred bytes, so a page
 * stays well under a frame. */
export const MAX_ENTITY_PAGE = 1_000
/** The replication inspector's mailbox: admin listings and repairs, a few at a time. */
export const INSPECTOR_MAILBOX = 256
/** A shard holder's mailbox: every owner's requests to this node's replica of one partition,
 * thousands at once when a failover activates many entities together. */
export const SHARD_HOLDER_MAILBOX = 65_536

// ---- repair (anti-entropy, scrub) ---------------------------------------------------------------

/** A differing span of seqs is split in this many when an entity's logs are compared (spans of
 * 16^k seqs, down to blocks of SPAN_BLOCK, whose records the replica checks itself). */
export const SPAN_FANOUT = 16
/** Most spans one comparison asks for: 4,096 digests (as hex, about 270 KB) stay well under a
 * mesh frame (4 MiB). */
export const MAX_SPANS = 4_096
/** Records a pass may take when its caller names no budget (tests and tools; a node's passes take
 * anti-entropy-records): enough to level a partition, bounded so that one pass cannot run on. */
export const DEFAULT_PASS_RECORDS = 100_000
/** Bucket listings one pass asks for at once. */
export const BUCKET_CONCURRENCY = 8
/** Differing buckets whose listings are taken before their entities are worked on. */
export const BUCKET_GROUP = 64
/** Differing entities worked on side by side: their states are read together, and their fills and
 * repairs share the store's batches (one fsync for all), while the requests to the peer in flight
 * stay bounded. */
export const ENTITY_BATCH = 64
/** Most entities one bucket answer may list: a bucket holds 1/256 of a partition's entities, so
 * this is far more than a correct replica lists, and a bound on what a peer may send. */
export const MAX_BUCKET_ENTITIES = 100_000
/** Children of differing tree nodes asked for in one run, gaps of up to this many bridged: a gap's
 * hashes (34 bytes each) cost less than another request. */
export const TREE_RUN_GAP = 8
/** The longest run of tree nodes asked for at once: what a peer answers (MAX_TREE_HASHES). */
export const TREE_RUN_MAX = MAX_TREE_HASHES

/** Most missing records one gap is repaired for in a scrub pass (the rest at the next). */
export const MAX_HOLE = 10_000
/** Entries scrub reads from the store at a time. */
export const SCRUB_BATCH = 256

// ---- roster changes (partition hand-off, catch-up) ----------------------------------------------

/** ms between a leaving node's partition hand-off checks. */
export const HAND_OFF_CHECK_MS = 2_000
/** How long a partition hand-off waits for a new replica to take one partition (a take-over pulls
 * the whole partition: minutes for a large one). */
export const TAKE_OVER_ASK_MS = 600_000
/** Partitions handed off at once. */
export const HAND_OFF_PARALLEL = 4
/** Pulls per partition and replica before a partition hand-off reports it as stuck (and tries
 * again at the next check). */
export const HAND_OFF_ROUNDS = 5

/** ms between catch-up checks. */
export const CATCH_UP_CHECK_MS = 2_000
/** Partitions caught up at once. */
export const CATCH_UP_PARALLEL = 4
/** Pulls from one holder before a partition is reported as not caught up yet (tried again at the
 * next check). */
export const CATCH_UP_ROUNDS = 5
/** How often the time this node last saw a majority is written down (a restart reads it). */
export const QUORUM_SAVE_MS = 10_000

// ---- admin --------------------------------------------------------------------------------------

/** How long a listing waits for each node. */
export const STATS_ASK_MS = 5_000
/** Most partitions one repair message names. */
export const MAX_REPAIR_PARTITIONS = 65_536
/** How long a job waits for one node to repair a chunk of partitions. */
export const REPAIR_ASK_MS = 600_000
/** Partitions one node is asked to repair at a time (the job's progress moves by this much). */
export const REPAIR_CHUNK = 4
/** Repair jobs a node remembers. */
export const MAX_REPAIR_JOBS = 16
/** Longest list another node's answer may carry (entities newer there, a status's lines): far
 * past what a correct node sends, a bound on what a peer can make this node hold. */
export const MAX_ANSWER_LIST = 100_000
/** Stored values a backup's read of one replica takes from LevelDB per step (storedValues). */
export const STORED_READ_BATCH = 1_000
/** Bytes of stored records one `append-sealed` carries at most (a restore's bulk write; the
 * framing and the request's fields fit beside them in a 4 MiB mesh frame). */
export const SEALED_APPEND_BYTES = 2 * 1_048_576
/** Records one `append-sealed` carries at most. */
export const SEALED_APPEND_RECORDS = 16_384

/** Lease requests (`lease`, `release`) one `replica-batch` message carries at most
 * (replica/replica-batch.ts): an owner's node sends what its owners ask of one node in one turn in
 * one message per this many; each item is about 150 bytes, so a full batch is ~75 KB, far below
 * the frame limit, and a replica node serves it in one turn of its event loop. */
export const MAX_LEASE_BATCH = 512
/** How long an owner's node sends lease requests one by one to a node that has no `replica-batch`
 * actor (an older version in a rolling update: its answer is ActorStoppedError) before it tries a
 * batch again. */
export const LEASE_BATCH_FALLBACK_MS = 60_000
/** The mailbox of a node's replica-batch actor: batches from every other node, each answered once
 * its items are (a lease round takes no disk write, unless it raises a promise). */
export const REPLICA_BATCH_MAILBOX = 4_096
/** An owner's use of an entity this soon after a lease round ended is the use of the request that
 * the round confirmed (it goes on in the same turns of the event loop), not a use again: it does not
 * keep the lease warm (journal/owner-lease.ts). */
export const LEASE_REUSE_SLACK_MS = 10

/** Whether an activation fences only its partition's replicas, the node ranked next and the
 * recorded former holders (docs/replication.md, "Former holders"), or every storage node, as
 * before. Off, and not safe to turn on as built: a fence is safe only if it holds every set that any
 * concurrent owner may write to, and a view of the roster may be behind or ahead of this one by a
 * capacity change or by more than one change (a take also keeps the view it started with while it
 * waits out the previous owner's lease), which the narrow set does not hold. The simulator shows it:
 * `npm run sim -- --seed 878828587 --narrow-fences`, two owners acknowledging seqs 547-566 of one
 * room, one fencing the old set while the other wrote to the new one. Every storage node a view
 * knows is fenced instead; the record of former holders is kept all the same. */
export const NARROW_FENCES = false
