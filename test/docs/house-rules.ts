/** A source file's most lines (docs/architecture.md, "Rules of the house"): past it a file holds
 * more than one noun, or one noun that should be split along its seams. */
export const FILE_LINES_MAX = 400

/** A function's most lines: past it a reader cannot hold it at once; its steps become functions
 * with names. */
export const FUNCTION_LINES_MAX = 80

/** The share of source files (index.ts aside) with a spec at the mirrored path, at least. */
export const MIRRORED_SPECS_MIN = 0.75

/** Files allowed over FILE_LINES_MAX, each a declarative table or schema, with the reason
 * (at most three). */
export const FILE_LINES_EXCEPTIONS: Readonly<Record<string, string>> = {}

/** Functions (`path name`) allowed over FUNCTION_LINES_MAX, each a declarative table, with the
 * reason (at most three). */
export const FUNCTION_LINES_EXCEPTIONS: Readonly<Record<string, string>> = {}
