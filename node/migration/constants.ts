/**
 * Timings and limits of live migration (ARCHITECTURE: Migration; docs/operations.md, "Live
 * migration"). The wire's own limits (MAX_HANDOFF_MESSAGES) sit beside the protocol.
 */

/** How long a new owner waits for a previous owner to hand an entity over, beyond the move's own
 * bound (move-bounds.ts): then it recovers the entity from its journal (a clean failover). */
export const CLAIM_SLACK_MS = 5_000
/** The adopt ask: the new owner takes the journal (one fence round) before it answers. */
export const ADOPT_ASK_MS = 15_000
/** How often pins of entities no longer active here are dropped: a pin outliving its entity only
 * keeps placement's choice for it a few seconds longer. */
export const PIN_SWEEP_MS = 5_000
/** What an entity's pre-move work (an agent's KV cache sent ahead) may take: a few tens of MiB
 * over loopback or a LAN take well under a second; beyond this the move goes on without it. */
export const PRE_MOVE_MS = 5_000
/** A pin younger than this is kept even while its entity is not active here yet (its move, or
 * its first message after a cold move, is on its way). */
export const PIN_GRACE_MS = 15_000
/** An entity adopted here that this node's view gives to another node (its old owner moved it on
 * a view this node has already left behind, so no view change here will move it) moves on after
 * this long if the view still says so: time for views that disagree for a moment (a heal, a join)
 * to agree, so that two nodes whose views differ do not pass it back and forth. */
export const MISPLACED_RECHECK_MS = 1_000
/** How long a migration to a member that has just come up waits for it to settle (the settle time,
 * node/mesh MEMBER_SETTLE_MAX_MS at most, with room for its record to reach the others). */
export const SETTLE_WAIT_MS = 10_000

/** The pause a node aims its queued moves at: half the goal's p99 (docs/operations.md, "Live
 * migration": p99 <= 50 ms), so that the tail stays under it. */
export const PAUSE_TARGET_MS = 20
/** Moves at once when a node starts, before any pause was seen: one, since the first moves may go
 * to a member that has just started (its code is still cold: the first hand-overs it takes cost
 * it tens of ms each); a drain on warm nodes doubles it every round. */
export const MOVE_LIMIT_INITIAL = 1
/** A node that moved nothing for this long starts again from MOVE_LIMIT_INITIAL (what it learnt of
 * the moves before says nothing of the next ones: another member, perhaps one that just started;
 * TCP's window restarts after idle for the same reason, RFC 2861). */
export const MOVE_LIMIT_IDLE_MS = 5_000

/** How often a decommission looks whether its moves and its storage hand-off are done: a leave
 * takes seconds at least, and each look is cheap. */
export const DECOMMISSION_CHECK_MS = 500
/** The moves of a leave, at most this long, before it goes on (a stuck move ends cold anyway). */
export const MOVES_WAIT_MS = 600_000
/** How often a drain or decommission job asks the leaving node where it stands: an admin watching
 * the job sees it move, and the leaving node answers at once. */
export const LEAVE_POLL_MS = 500
/** The leave ask (the leaving node answers at once; a busy one may take a moment). */
export const LEAVE_ASK_MS = 3_000
/** Asks of a leaving node that may fail in a row (it is busy moving) before the job looks whether
 * it is gone. */
export const LEAVE_MISSES = 3
/** How often a rebalance or drain job reads the migrator's counts: its progress is current within
 * a quarter second, and a read is a few map lookups. */
export const MOVE_JOB_POLL_MS = 250
/** An admin's migration asks again (the new owner's `migrate`, its `claim` of the old owner) when
 * the link to a member still up broke before the answer came (PeerUnreachableError: a connection
 * the prober replaced, a gossip reset): at most this many times more, MOVE_RETRY_GAP_MS apart.
 * Both asks are safe to repeat: a second `migrate` joins the one under way, and a second `claim`
 * joins the move or finds the entity already gone. */
export const MOVE_ASK_RETRIES = 2
export const MOVE_RETRY_GAP_MS = 250
