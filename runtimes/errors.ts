/**
 * Inference failures, one class per failure, matched by `name`. They cross worker threads and
 * (later) the wire as `{ name, message }` data and are rebuilt with `rebuildInferenceError`.
 */

/** The model is not in the registry, or its file was refused by the validator. */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError'
}

/** The model is not loaded (unloaded meanwhile, or loading failed) or its server is unreachable. */
export class InferenceUnavailableError extends Error {
  override readonly name = 'InferenceUnavailableError'
}

/** The worker running the request died (it is restarted; the next request works). */
export class InferenceWorkerError extends Error {
  override readonly name = 'InferenceWorkerError'
}

/** Every slot is busy and the wait queue is full. */
export class InferenceQueueFullError extends Error {
  override readonly name = 'InferenceQueueFullError'
  readonly retryAfterMs: number
  constructor (message: string, retryAfterMs: number) {
    super(message)
    this.retryAfterMs = retryAfterMs
  }
}

/** Even the last turn alone does not fit the model's context. */
export class PromptTooLongError extends Error {
  override readonly name = 'PromptTooLongError'
}

/** Loading the model would go over the memory budget even after evicting every idle model. */
export class ModelMemoryError extends Error {
  override readonly name = 'ModelMemoryError'
}

/** The remote (OpenAI-compatible) server answered with an error. */
export class RemoteInferenceError extends Error {
  override readonly name = 'RemoteInferenceError'
  readonly status: number
  /** From the server's Retry-After (429, 503), when it sent one: lets us pass it on to our clients. */
  readonly retryAfterMs: number | undefined
  constructor (message: string, status: number, retryAfterMs?: number) {
    super(message)
    this.status = status
    this.retryAfterMs = retryAfterMs
  }
}

const CLASSES = {
  UnknownModelError,
  InferenceUnavailableError,
  InferenceWorkerError,
  PromptTooLongError,
  ModelMemoryError
} as const

/** Errors as data, for postMessage (which drops the class). */
export interface ErrorData {
  readonly name: string
  readonly message: string
}

export function errorData (err: unknown): ErrorData {
  if (err instanceof Error) return { name: err.name, message: err.message }
  return { name: 'Error', message: String(err) }
}

/** Rebuilds an error sent as data with its class (when it is one of ours) and its name. */
export function rebuildInferenceError (data: ErrorData): Error {
  const Known = CLASSES[data.name as keyof typeof CLASSES] as (new (message: string) => Error) | undefined
  if (Known !== undefined) return new Known(data.message)
  const err = new Error(data.message)
  err.name = data.name
  return err
}
