/** A source file's most lines (docs/architecture.md, "Rules of the house"): past it a file holds
 * more than one noun, or one noun that should be split along its seams. */
export const FILE_LINES_MAX = 400

/** A function's most lines: past it a reader cannot hold it at once; its steps become functions
 * with names. */
export const FUNCTION_LINES_MAX = 80
