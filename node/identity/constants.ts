/** Limits of a node's identity and tokens, each with why it is what it is. */

/** Named admin tokens one node keeps (each is an entry of a small file rewritten whole on each
 * change, and checked at each request): far more than the people and scripts of any cluster. */
export const MAX_ADMIN_TOKENS = 256

/** The shortest admin token read from the data dir's file: a token this short is no secret (ours
 * are 48 characters); a shorter one was hand-written or cut, and the node refuses to start on it. */
export const ADMIN_TOKEN_MIN_CHARS = 16
