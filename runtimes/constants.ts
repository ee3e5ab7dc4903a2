/** Limits of the model registry and the model manager, each with why it is what it is (the
 * runtimes' own are in llama/ and openai/, the GGUF reader's in gguf/). */

/** Beyond this many waiting, a request is told its place once, not again at every change (each
 * change would cost a pass over the whole queue). */
export const POSITION_UPDATES_MAX_QUEUE = 1024

/** A remote model file is a few hundred bytes; anything much larger is not one. */
export const MAX_REMOTE_FILE_BYTES = 65_536
