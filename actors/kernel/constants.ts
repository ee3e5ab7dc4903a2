/**
 * Kernel defaults. Every option that takes one of these is optional; the why is beside each.
 */

/** Messages an actor may hold before `tell` is dropped and `ask` is rejected. Big enough to absorb a
 * burst from many senders, small enough that one stuck actor cannot hold more than a few MB. */
export const DEFAULT_MAILBOX_CAPACITY = 1024

/** An `ask` that gets no reply in this time rejects with AskTimeoutError. */
export const DEFAULT_ASK_TIMEOUT_MS = 5_000

/** A busy actor yields the event loop (setImmediate) once a turn has run this long, so that it
 * cannot starve I/O (gRPC streams, heartbeats) or the other actors. */
export const TURN_SLICE_MS = 1

/** How many messages between two looks at the clock (reading it per message would cost more
 * than a cheap handler). */
export const MESSAGES_PER_CLOCK_CHECK = 64

/** OTP-style restart intensity: more than `intensity` restarts within `period` ms and the supervisor
 * gives up and escalates. With the backoff below, a child that crashes on every start escalates in
 * about 1.3 s, long enough to ride out a transient fault. */
export const DEFAULT_INTENSITY = 5
export const DEFAULT_PERIOD_MS = 10_000

/** Exponential backoff between restarts: the k-th restart within the period waits
 * min(max, min × factor^(k-1)) ms. The first restart is quick; a crash loop slows down fast. */
export const DEFAULT_BACKOFF_MIN_MS = 20
export const DEFAULT_BACKOFF_MAX_MS = 2_000
export const DEFAULT_BACKOFF_FACTOR = 2

/** How long a stopping actor's in-flight handler may run before the stop stops waiting for it
 * (OTP's `shutdown`). The handler's late result is then ignored. */
export const DEFAULT_SHUTDOWN_MS = 5_000

/** Entities: an entity that crashes more than this within the period is deactivated on its own
 * (its next message activates it afresh). One bad entity never takes the others down. */
export const DEFAULT_ENTITY_INTENSITY = 3

/** Entities with no message for this long are passivated (stopped; state stays in the journal).
 * Passivation happens between one and two idle periods after the last message. */
export const DEFAULT_ENTITY_IDLE_MS = 120_000

/** A snapshot of an entity's state is written after this many events, so recovery replays at most
 * this many events on top of the latest snapshot. */
export const DEFAULT_SNAPSHOT_EVERY = 100

/** Entity type names: short, lowercase, usable in paths, metrics labels and storage keys. */
export const ENTITY_TYPE_PATTERN = /^[a-z][a-z0-9-]{0,31}$/

/** Entity keys and actor names: 1–200 characters, no '/', no control characters, not starting
 * with '$' (keys are path segments and storage keys, where '\x00' is the separator; '$' starts
 * generated actor names). */
export const ENTITY_KEY_MAX_LENGTH = 200
export const ENTITY_KEY_FORBIDDEN = /[\x00-\x1f\x7f/]|^\$/

/** How long a node whose activation of an entity a newer owner took (its journal fenced) leaves the
 * entity alone, refusing its own messages for it with EntitySupersededError (retryable), unless
 * placement's view changes first or another node forwards a message for it here (that node's view
 * names this one). Without it the node's next message would take the entity back while its view
 * still names itself, and two nodes whose views disagree for a moment pass it back and forth. Long
 * enough for failure detection to bring the views together, short enough that a node whose view
 * was right (the other one grabbed the entity on a view that was not whole) takes it back well
 * inside the 5 s a room may take to accept posts after a heal. */
export const SUPERSEDED_HOLD_MS = 2_000

/** How long a hand-off waits for an activation of its entity that was still taking its journal
 * here to stop (Journal.open stops at its next step once told to: a fence round in flight, at
 * most a few seconds); past it the hand-off is refused and the entity recovers from its journal. */
export const TAKE_GIVES_WAY_MS = 5_000

/** Entities held back at once (SUPERSEDED_HOLD_MS); past it the oldest expired ones go, and a node
 * losing more entities than this in one moment simply takes them back sooner. */
export const SUPERSEDED_TRACKED_MAX = 10_000

/** How long messages for an entity that moved away are passed on to its new owner: until the
 * senders' placement agrees (a view change reaches every node well within it), and the span in
 * which the new owner serves the entity whoever its own view names (EntityTable.hosts). */
export const FORWARD_MS = 60_000
