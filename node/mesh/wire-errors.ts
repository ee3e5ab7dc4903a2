import * as actors from '../../actors/index.ts'
import * as protocols from '../../protocols/index.ts'
import * as runtimes from '../../runtimes/index.ts'
import * as storage from '../storage/index.ts'
import * as mesh from './errors.ts'
import { errorClasses, errorData, rebuildError } from '../../protocols/index.ts'
import type { ErrorClasses, ErrorData } from '../../protocols/index.ts'

/** A module whose exported Error subclasses are rebuilt as themselves when they cross the wire (a
 * folder's `errors.ts` or `index.ts`, imported as a namespace); its other exports are ignored. */
export type ErrorModule = Readonly<Record<string, unknown>>

/** The error modules of the folders below the mesh (and its own): every mesh knows them. */
const BELOW: readonly ErrorModule[] = [actors, protocols, runtimes, storage, mesh]

/**
 * The error classes a node rebuilds when an error comes off the wire (a failed ask answered by
 * another node), so that it arrives as its own class with its name, kind and fields. The mesh
 * knows the errors of the folders below it; the folders above it (inference, replication, …)
 * import the mesh, so their errors are handed in by the composition root (`modules`), and the
 * mesh never imports them.
 */
export class WireErrors {
  readonly #classes: ErrorClasses

  /** @param modules the error modules of the folders above the mesh whose errors cross the wire */
  constructor (modules: readonly ErrorModule[] = []) {
    this.#classes = errorClasses(...BELOW, ...modules)
  }

  /** Whether an error named `name` is rebuilt as its own class. */
  knows (name: string): boolean {
    return this.#classes.has(name)
  }

  /** An error as data for the wire: name, message, kind and its own plain fields. */
  toWire (err: unknown): ErrorData {
    return errorData(err)
  }

  /** Rebuilds an error that came off the wire with its own class when known; its stack names the peer. */
  fromWire (wire: ErrorData, peer: string): Error {
    return rebuildError(wire, this.#classes, `peer ${peer}`)
  }
}
