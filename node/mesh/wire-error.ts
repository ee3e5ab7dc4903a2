import * as actorErrors from '../../actors/errors.ts'
import * as runtimeErrors from '../../runtimes/errors.ts'
import * as inferenceErrors from '../inference/errors.ts'
import * as storageErrors from '../storage/errors.ts'
import * as meshErrors from './errors.ts'
import * as protocolErrors from '../../protocols/errors.ts'
import { errorClasses, errorData, rebuildError } from '../../protocols/errors.ts'
import type { ErrorData } from '../../protocols/errors.ts'

/** Our error classes by name: an error that crosses the wire comes back as its own class. */
const CLASSES = errorClasses(actorErrors, runtimeErrors, inferenceErrors, storageErrors, meshErrors, protocolErrors)

/** An error as data for the wire: name, message, kind and its own plain fields. */
export function toWireError (err: unknown): ErrorData {
  return errorData(err)
}

/** Rebuilds an error that came off the wire with its own class when known; its stack names the peer. */
export function fromWireError (wire: ErrorData, peer: string): Error {
  return rebuildError(wire, CLASSES, `peer ${peer}`)
}
