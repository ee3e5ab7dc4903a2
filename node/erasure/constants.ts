/**
 * Timings and limits of erasure and retention (node/erasure): the jobs that redact a user's posts
 * in every room, trim rooms to their retention, and the compaction that gives the space back.
 */

/** Rooms an erasure or a retention run asks at once. Most asks of an erasure are answered at once
 * (a room its user never posted in knows it: room-posters.ts), so their cost is the ask and the
 * room's activation; the few that read a journal, or a retention's search, are LevelDB reads. 16
 * keeps every owner and storage node busy without queueing more than they serve well (a user's
 * 10,000 posts in 10 of 1,010 rooms on 3 nodes of 2 cores: erased in 2.3 s). */
export const ROOM_CONCURRENCY = 16

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
