/**
 * Inference failures, one class per failure, matched by `name`, each with its canonical kind. They
 * cross worker threads as ErrorData (protocols/errors.ts) and are rebuilt with
 * `rebuildInferenceError`.
 */
import { RetryLaterError, errorClasses, rebuildError } from '../protocols/index.ts'
import type { ErrorData } from '../protocols/index.ts'


/** The model is not in the registry, or its file was refused by the validator. */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError'
  readonly kind = 'not-found'
}

/** The model is not loaded (unloaded meanwhile, or loading failed) or its server is unreachable. */
export class InferenceUnavailableError extends Error {
  override readonly name = 'InferenceUnavailableError'
  readonly kind = 'unavailable'
}

/** The worker running the request died (it is restarted; the next request works). */
export class InferenceWorkerError extends Error {
  override readonly name = 'InferenceWorkerError'
  readonly kind = 'unavailable'
}

/** Every slot is busy and the wait queue is full. */
export class InferenceQueueFullError extends RetryLaterError {
  override readonly name = 'InferenceQueueFullError'
  readonly kind = 'exhausted'
}

/** Even the last turn alone does not fit the model's context. */
export class PromptTooLongError extends Error {
  override readonly name = 'PromptTooLongError'
  readonly kind = 'invalid'
}

/** A tool's parameters schema cannot be used: it is not a JSON schema of arguments, or (for a
 * forced call, whose arguments must always validate) it uses a keyword the runtime's grammar cannot
 * enforce. The message names the tool and the place in its schema. */
export class UnsupportedToolSchemaError extends Error {
  override readonly name = 'UnsupportedToolSchemaError'
  readonly kind = 'invalid'
}

/** Loading the model would go over the memory budget even after evicting every idle model. */
export class ModelMemoryError extends Error {
  override readonly name = 'ModelMemoryError'
  readonly kind = 'exhausted'
}

/** The remote (OpenAI-compatible) server answered with an error. */
export class RemoteInferenceError extends Error {
  override readonly name = 'RemoteInferenceError'
  readonly kind = 'unavailable'
  readonly status: number
  /** From the server's Retry-After (429, 503), when it sent one: lets us pass it on to our clients. */
  readonly retryAfterMs: number | undefined
  constructor (message: string, status: number, retryAfterMs?: number) {
    super(message)
    this.status = status
    this.retryAfterMs = retryAfterMs
  }
}

const CLASSES = errorClasses({
  UnknownModelError,
  InferenceUnavailableError,
  InferenceWorkerError,
  InferenceQueueFullError,
  PromptTooLongError,
  UnsupportedToolSchemaError,
  ModelMemoryError,
  RemoteInferenceError
})

/** Rebuilds an inference error that crossed a worker as data (protocols/errors.ts ErrorData) with
 * its class, name, kind and fields. */
export function rebuildInferenceError (data: ErrorData): Error {
  return rebuildError(data, CLASSES, 'a llama.cpp worker')
}
