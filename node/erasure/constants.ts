/**
 * Timings and limits of erasure and retention (node/erasure): the jobs that redact a user's posts
 * in every room, trim rooms to their retention, and the compaction that gives the space back.
 */

/** Rooms an erasure or a retention run asks at once: each ask reads a room's journal (an erasure)
 * or searches it (retention), so a few at a time keep every storage node busy without queueing
 * more reads than its LevelDB serves well. */
export const ROOM_CONCURRENCY = 8

/** How long an erasure waits for one room: a room reads its whole journal for the user's posts
 * (a million records in ~10 s on this machine) and rewrites them, so well above that. */
export const ERASE_ROOM_ASK_MS = 120_000

/** How long a retention run waits for one room: a binary search (~20 reads) and a trim. */
export const RETENTION_ROOM_ASK_MS = 60_000

/** How long an erasure waits for one member to remove the user's KV caches or compact its store:
 * a few files and a compaction of a few ranges. */
export const MEMBER_ASK_MS = 60_000

/** Entities one compaction request names at most: a retention run over 1,000 rooms sends them in
 * a few requests, each well within a mesh frame. */
export const MAX_COMPACT_ENTITIES = 1_000
