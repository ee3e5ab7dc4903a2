import * as actors from '../../actors/index.ts'
import * as protocols from '../../protocols/index.ts'
import * as runtimes from '../../runtimes/index.ts'
// errors only: the inference folder's index reaches back into the mesh
import * as inference from '../inference/errors.ts'
import * as storage from '../storage/index.ts'
// errors only (a leaf): a replica's refusals and a lost quorum arrive as their own classes
import * as replication from '../replication/errors.ts'
import * as mesh from './errors.ts'
import { errorClasses, errorData, rebuildError } from '../../protocols/index.ts'
import type { ErrorData } from '../../protocols/index.ts'

/** Our error classes by name: an error that crosses the wire comes back as its own class. */
const CLASSES = errorClasses(actors, protocols, runtimes, inference, storage, mesh, replication)

/** An error as data for the wire: name, message, kind and its own plain fields. */
export function toWireError (err: unknown): ErrorData {
  return errorData(err)
}

/** Rebuilds an error that came off the wire with its own class when known; its stack names the peer. */
export function fromWireError (wire: ErrorData, peer: string): Error {
  return rebuildError(wire, CLASSES, `peer ${peer}`)
}
