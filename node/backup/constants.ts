/** First field of a key file's line: names the format, so a key of a later format is refused by
 * name instead of being misread as this one. */
export const BACKUP_KEY_PREFIX = 'plexi-backup-key-1'

/** The master key: 256 bits, the AES-256 and HMAC-SHA256 key size (HKDF derives the rest). */
export const BACKUP_KEY_BYTES = 32

/** A key file is one line of about 63 bytes; anything much larger is another file given by
 * mistake (a backup, a log), and is refused before it is read into memory. */
export const MAX_KEY_FILE_BYTES = 1024

/** Hex characters of a key's fingerprint: 64 bits tell an operator's keys apart (one is shown
 * next to another, not searched for among billions) and reveal nothing of the key. */
export const FINGERPRINT_HEX_CHARS = 16

/** HKDF info strings: one per derived key, so no two uses ever share key material. */
export const HKDF_INFO_FINGERPRINT = 'plexi-backup key-fingerprint'
export const HKDF_INFO_CHUNK_ID = 'plexi-backup chunk-id'
/** Followed by the chunk id: every chunk has a key of its own. */
export const HKDF_INFO_CHUNK_KEY = 'plexi-backup chunk-key\0'
/** Followed by the chunk id: each chunk's GCM nonce (BackupKey.chunkNonce). */
export const HKDF_INFO_CHUNK_NONCE = 'plexi-backup chunk-nonce\0'
/** Followed by the backup id: every manifest has a key of its own. */
export const HKDF_INFO_MANIFEST_KEY = 'plexi-backup manifest-key\0'

/** A chunk id: hex of an HMAC-SHA256. */
export const CHUNK_ID_HEX_CHARS = 64

/** First byte of a sealed chunk: 1 = AES-256-GCM, [1][nonce 12][ciphertext][tag 16]. A value of
 * another format is refused by name, so a later format can be added without misreading. */
export const CHUNK_FORMAT_AES_256_GCM = 1
/** 96-bit nonce: GCM's native size. Derived from the chunk id (BackupKey.chunkNonce), so the same
 * content seals to the same bytes in every backup; each chunk has its own key, and the content under
 * an id never changes, so no key and nonce ever seal two plaintexts. */
export const CHUNK_NONCE_BYTES = 12
/** 128-bit tag: GCM's full tag; shorter tags weaken forgery resistance for nothing. */
export const CHUNK_TAG_BYTES = 16
export const CHUNK_OVERHEAD_BYTES = 1 + CHUNK_NONCE_BYTES + CHUNK_TAG_BYTES

/** Average chunk size: large enough that per-chunk costs (an id in the manifest, a seal, a round
 * trip to a holder) stay small against the data, small enough that an edit re-uploads little.
 * @default 256 KiB */
export const DEFAULT_AVG_CHUNK_BYTES = 256 * 1024
/** @default avgSize / 4: FastCDC skips this many bytes before looking for a cut, which both
 * speeds it up and keeps tiny chunks (whose overhead outweighs their dedup) out. */
export const DEFAULT_MIN_CHUNK_BYTES = DEFAULT_AVG_CHUNK_BYTES / 4
/** @default avgSize * 4: a forced cut in data without a cut point (zeros, already-random data),
 * bounding the memory one chunk holds. */
export const DEFAULT_MAX_CHUNK_BYTES = DEFAULT_AVG_CHUNK_BYTES * 4

/** Smallest minSize taken: the rolling hash's window is 32 bytes, and below this a chunk's seal
 * and id cost more than any dedup saves. */
export const CHUNK_SIZE_FLOOR = 64
/** Largest maxSize taken (and largest plaintext sealed): a chunk is held whole in memory while it
 * is hashed, sealed and sent. */
export const CHUNK_SIZE_CEILING = 64 * 1024 * 1024

/** FastCDC's normalized chunking level: the cut mask has this many bits more before avgSize and
 * this many fewer after, which narrows the spread of chunk sizes around avgSize (the paper's
 * recommended level). */
export const NORMALIZATION_LEVEL = 2

/** Seed of the gear table's generator. Part of the format: another seed gives other boundaries,
 * and so no dedup against backups made before. */
export const GEAR_SEED = 0x706c7869 // 'plxi'

/** Entities one listing page of a partition asks a replica for (its shard holder's limit). */
export const BACKUP_ENTITY_PAGE = 1_000
/** The largest journal record a backup takes, encoded: far above any record a node writes (a
 * message is at most 1 MiB of text, a frame 4 MiB), so a frame length beyond it in a stream is
 * damage, not data. */
export const MAX_BACKUP_RECORD_BYTES = 16 * 1_048_576
/** Chunks one manifest may name: 10 million chunks of 256 KiB are 2.4 TiB, beyond what one
 * backup of this design is meant for, and a manifest's size (about 100 bytes a chunk) stays
 * under a gigabyte. */
export const MAX_MANIFEST_CHUNKS = 10_000_000
/** Each ask of a holder: a put of a few MiB written and fsynced, or a read. */
export const HOLDER_ASK_MS = 30_000
/** Chunks one check asks about: each is read and hashed, a few GiB at most within HOLDER_ASK_MS. */
export const MAX_CHECK_CHUNKS = 1_024
/** Characters of a manifest's note: the catalog's MAX_BACKUP_NOTE, which the note comes from. */
export const MAX_MANIFEST_NOTE = 1_000
/** Fences tried before a restore of one entity gives up (each refused one names a higher promise). */
export const FENCE_TRIES = 5
/** Chunk ids one holder request may name (has, remove, list): about 650 KiB of ids, within a frame. */
export const MAX_HOLDER_IDS = 10_000
/** Sealed bytes one put may carry: a p2p frame is at most 4 MiB, and a put carries its ids,
 * digests and framing besides (so no chunk may be larger either: the chunker's maxSize stays at
 * or below this). */
export const MAX_PUT_BYTES = 3 * 1_048_576

/** A holder's chunk store starts a new pack file once the current one is this large: large
 * enough that a store of terabytes is a few thousand files (one open's scan, one directory), small
 * enough that compaction rewrites a pack in well under a second and a pack's damage loses little.
 * (restic's packs are 16 MiB, borg's segments 500 MiB.) */
export const PACK_TARGET_BYTES = 64 * 1_048_576
/** Sealed bytes of one put to the store, and of one group write (puts and removes that arrive
 * while a write is in flight, taken until this much): the largest sealed chunk fits; larger writes
 * would only make the callers in them wait longer for their fsync. */
export const MAX_STORE_BATCH_BYTES = CHUNK_SIZE_CEILING + CHUNK_OVERHEAD_BYTES
/** Ids (or chunks) one call to the store may name: bounds the hashing, or the tombstones, that one
 * caller makes every other caller wait for. */
export const MAX_STORE_IDS = 100_000
/** Ids a store listing gives when no limit is asked for. */
export const DEFAULT_STORE_LIST_LIMIT = 1_000
/** A challenge nonce: at least 128 bits, so no answer can be computed ahead for it; at most 64
 * bytes, one SHA-256 block (anything longer proves nothing more). */
export const CHALLENGE_NONCE_MIN_BYTES = 16
export const CHALLENGE_NONCE_MAX_BYTES = 64
/** First bytes of every pack record ('PXP1': Plexi pack, format 1): a scan tells a record from
 * garbage (a torn write, zeros a file system left) before trusting its length. Part of the format. */
export const PACK_RECORD_MAGIC = 'PXP1'
/** A pack record's kind: a sealed chunk, or a tombstone (a remove, no body). Part of the format. */
export const PACK_RECORD_PUT = 1
export const PACK_RECORD_REMOVE = 2
/** A pack record's header: [magic 4][kind 1][id 32][SHA-256 of the body 32][body length u32 BE]
 * [first 4 bytes of the SHA-256 of the 73 bytes before]; the body follows. */
export const PACK_RECORD_HEADER_BYTES = 77
/** Bytes an open's scan reads at a time to find record headers: one page, which costs a read as
 * much as a header alone, and holds many records of tombstones or small chunks. */
export const PACK_SCAN_READ_BYTES = 4096

/** Chunk ids a holder's repair pass looks at per page of its store (and asks each other holder
 * about in one `has`): a page's ranking and asks stay small, and a store of millions of chunks is
 * a few thousand pages. */
export const HOLDER_REPAIR_PAGE = 2_000

/** A restore hold: a hold nobody lets go of (the restoring node died) ends by itself after this
 * long. */
export const HOLD_MAX_MS = 60_000
/** How long an entity's work in progress may run before the hold interrupts it (an agent's
 * answer), and how long after that it may take to stop. */
export const HOLD_BUSY_MS = 10_000
export const HOLD_GRACE_MS = 2_000

// ---- the backup jobs (BackupService and its parts) ----

/** Each ask of the backup catalog: a catalog write is one journal append on its replicas. */
export const CATALOG_ASK_MS = 10_000
/** How long a job's catalog ask rides out the catalog's owner failing over (a member declared
 * down, placement moving it: seconds). */
export const CATALOG_PATIENCE_MS = 30_000
/** The first wait before a patient catalog ask is tried again, doubling up to the second: short
 * enough to notice a failover that took a moment, long enough not to hammer one in progress. */
export const CATALOG_RETRY_FIRST_MS = 100
export const CATALOG_RETRY_MAX_MS = 2_000
/** The catalog's lock is taken for this long, and renewed at a third of it while its work runs
 * (two renewals may fail before it lapses; at most the catalog's MAX_LOCK_MS). */
export const LOCK_MS = 10 * 60_000
/** Chunks one audit checks: enough that a holder which lost 1% of its chunks is caught within a
 * few audits, few enough that an audit costs seconds. */
export const AUDIT_SAMPLE = 32
/** How often a schedule looks whether a backup is due (at most: the interval, when shorter). */
export const SCHEDULE_CHECK_MS = 60_000
/** How often a node holding the key looks for backups whose node is down, to resume them. */
export const RESUME_CHECK_MS = 30_000
/** A running backup records how far it got at most this often (a sealed partial manifest on the
 * holders, its place in the catalog): what a resumed backup does not do again. */
export const CHECKPOINT_MS = 2_000
/** Partitions a backup reads at once: each waits on its replicas' answers much of the time. */
export const PARTITIONS_AT_ONCE = 4
/** Puts one backup keeps in flight to its holders at once. */
export const PUTS_IN_FLIGHT = 4
/** A restore's hold or unhold ask of an entity's owner (the hold waits for the entity to stop). */
export const HOLD_ASK_MS = 20_000
/** Entities a restore rewrites at once (each a hold, a fence and writes on every replica). */
export const RESTORE_CONCURRENCY = 16
/** Rewrites of one entity tried before a restore fails (an activation raced each one). */
export const REWRITE_TRIES = 3
/** Opened chunks a restore keeps: a partition's stream is read in order, so only the chunks an
 * entity's block spans (and its neighbour's) are read again. */
export const RESTORE_CHUNK_CACHE = 64
/** Chunks a full verify checks at once. */
export const VERIFY_CONCURRENCY = 8
/** Bytes of chunks one holder re-reads for one check ask (well within HOLDER_ASK_MS on a slow disk). */
export const CHECK_BATCH_BYTES = 64 * 1_048_576
/** A verify reports its progress every this many chunks: a job's progress is a catalog-free
 * in-memory update, but a line per chunk of millions would be noise. */
export const VERIFY_PROGRESS_EVERY = 64
/** Items a job's `left` lists at most (the rest are counted): what an operator reads. */
export const JOB_LEFT_SHOWN = 50
/** Characters of one item's reason in a job's `left`. */
export const JOB_WHY_CHARS = 256
/** Characters of a failed backup's or restore's error kept in the catalog (its MAX_ERROR). */
export const CATALOG_ERROR_CHARS = 2_000
/** Pieces of one partition stream a backup has on its way through a chunk worker at once. */
export const CHUNK_PIECES_IN_FLIGHT = 4
/** Bytes of a partition stream sent to its chunk worker at a time. */
export const CHUNK_PIECE_BYTES = 1_048_576
