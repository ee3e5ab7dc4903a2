/** After the shutdown timeout, interrupted work (an agent's answer) gets this long to end cleanly:
 * to journal what it has and answer its caller (a token and one fsync: milliseconds). */
export const INTERRUPT_GRACE_MS = 2_000

/** A drained node exits once no entity message reached it for this long (they are forwarded to
 * the entities' new owners while senders learn where the entities went)… */
export const DRAIN_QUIET_MS = 300

/** …or after this long at most: a sender that keeps sending to the old owner is told by the
 * forward's reply, and a node's exit is not held by it. */
export const DRAIN_LINGER_MAX_MS = 3_000

/** While a node started with --join has heard no member, it says so this often: an operator who
 * gave a wrong address or key sees why the node is not ready without reading debug logs. */
export const WAIT_FOR_CLUSTER_LOG_MS = 10_000

/** Sampling of an agent that set none: the common defaults of llama.cpp's own server, which the
 * generated and the usual small chat models answer sensibly with. */
export const DEFAULT_SAMPLING = { temperature: 0.7, topP: 0.95, topK: 40 } as const

/** Why a tool call is refused while the node's tools are not set up yet (the mesh starts first). */
export const TOOLS_NOT_BOUND = 'the node is still starting: its tools are not set up yet'

/** How often a node reads the plugins' commands and hooks anew from the members that run them:
 * a plugin installed, upgraded or stopped shows in rooms within this, and the read is a few small
 * asks (each member caches its own answer). */
export const ROOM_PLUGINS_REFRESH_MS = 2_000

/** How long this node's load (its actors counted, its RSS read) is reused in its member record: a
 * record is built for every gossip round and every admin read of the members (thousands a second
 * under load), and counting walks every actor; the load is a hint, a quarter second old at most. */
export const LOAD_SAMPLE_MS = 250
