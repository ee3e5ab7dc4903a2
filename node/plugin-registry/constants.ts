/**
 * Limits and timings of the plugin registry, each with why it is what it is.
 */
import { MAX_PACKAGE_BYTES } from '../../protocols/plugins/index.ts'

/** A package's manifest, at its root (docs/plugins.md). */
export const MANIFEST_FILE = 'plexi-plugin.json'

/** Where a plugins-role member unpacks packages, under its data dir: `plugins/<name>/<version>/`. */
export const PLUGINS_DIR = 'plugins'

/** Written last in an unpacked version's folder, holding the package's digest: a folder without it
 * (a crash mid-unpack) is unpacked again, never started. */
export const UNPACKED_MARK = '.plexi-package'

/** What a package may unpack to, in all: gzip compresses a few MiB of scripts a few times over, and
 * a package that swells far past that is a gzip bomb, refused before it fills the disk. */
export const MAX_UNPACKED_BYTES = 4 * MAX_PACKAGE_BYTES

/** One file of a package, at most (its header says its size before it is read). */
export const MAX_ENTRY_BYTES = MAX_PACKAGE_BYTES

/** Files and folders in a package, at most: plugins are scripts and a few assets, and an archive
 * of many tiny entries costs the unpacking node far more than its bytes. */
export const MAX_PACKAGE_ENTRIES = 4_000

/** A path inside a package, at most (characters), and its depth (folders). */
export const MAX_ENTRY_PATH = 512
export const MAX_ENTRY_DEPTH = 32

/** Chunks of a package written (or read) at once: several journal writes in flight fill the pipe;
 * more would only queue in the package entity's mailbox. 4 × 256 KiB stays far under a frame. */
export const PACKAGE_CHUNKS_IN_FLIGHT = 4

/** A question to the catalog or a package: a write waits for W replicas, at most this long. */
export const CATALOG_ASK_MS = 10_000
/** The waits before each time a catalog message that a superseded owner failed is sent again
 * (CatalogClient): as a room's (node/grpc SUPERSEDED_RESEND_MS), about 4 s in all. */
export const CATALOG_SUPERSEDED_RESEND_MS = [10, 40, 100, 200, 400, 800, 1_000, 1_500] as const

/** A member's answer about what it runs, or its plugins' logs: a member that takes longer is named
 * unreachable, and the listing answers with the others. */
export const MEMBER_ASK_MS = 3_000

/** A plugins-role member compares what it runs with the catalog this often, besides at once when
 * told of a change: a member that missed the news (it was down, a tell was dropped) catches up
 * within this. */
export const RECONCILE_INTERVAL_MS = 5_000

/** A version that failed to start (its package could not be fetched or unpacked, its process did
 * not come up) is tried again after this, doubling at each failure up to the max: a broken package
 * must not make every member spin. */
export const START_RETRY_FIRST_MS = 1_000
export const START_RETRY_MAX_MS = 60_000

/** Log lines one `logs` request answers per member, at most: what the host keeps of a plugin's
 * stderr (the newest 500 lines of each version). */
export const MAX_LOGS_PAGE = 500
/** A log line's most characters on the wire (the host clips its lines shorter). */
export const MAX_LOG_LINE = 2_000

/** Latencies kept per plugin for the mean `ls` shows: recent enough to follow a change, enough to
 * smooth one slow call. */
export const RECENT_CALLS = 256
/** Plugins and servers whose calls are counted on one node, at most (the catalog keeps 64
 * plugins; registered servers add some). */
export const MAX_TRACKED_SOURCES = 256
