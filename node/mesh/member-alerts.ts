import type { Message } from '@libp2p/gossipsub'
import { Packr } from 'msgpackr'
import { peerIdFromString } from '@libp2p/peer-id'
import { RECORD_REFUSALS_LOGGED } from './constants.ts'
import { InvalidMemberRecordError } from './errors.ts'
import type { MeshLibp2p } from './mesh-libp2p.ts'
import type { MemberTable } from './membership.ts'
import type { AlertVerdict } from './probe-rounds.ts'

/** The gossipsub topic of member alerts: "this member does not answer me". */
export const ALERTS_TOPIC = '/plexi/member-alerts/1.0.0'
/** An alert is [verdict, peer id, incarnation]: well under this. */
export const MAX_ALERT_BYTES = 256

const VERDICTS: Readonly<Record<number, AlertVerdict>> = { 1: 'suspect', 2: 'dead' }
const CODES: Readonly<Record<AlertVerdict, number>> = { suspect: 1, dead: 2 }

export interface MemberAlert {
  readonly verdict: AlertVerdict
  /** The member that does not answer. */
  readonly peer: string
  /** Its incarnation as the alerting node knows it (an alert about an earlier life is ignored). */
  readonly incarnation: number
}

const packr = new Packr({ useRecords: false })

export function encodeMemberAlert (alert: MemberAlert): Uint8Array {
  return packr.pack([CODES[alert.verdict], alert.peer, alert.incarnation])
}

/** Decodes and checks an alert from the wire: anything malformed is refused, never half-used. */
export function decodeMemberAlert (bytes: Uint8Array, from: string): MemberAlert {
  const fail = (why: string): never => { throw new InvalidMemberRecordError(`member alert from ${from}: ${why}`) }
  if (bytes.byteLength > MAX_ALERT_BYTES) fail(`${bytes.byteLength} bytes is over ${MAX_ALERT_BYTES}`)
  let value: unknown
  try {
    value = packr.unpack(bytes)
  } catch (err) {
    return fail(`not msgpack (${(err as Error).message})`)
  }
  if (!Array.isArray(value) || value.length !== 3) return fail('expected [verdict, peer id, incarnation]')
  const [code, peer, incarnation] = value as [unknown, unknown, unknown]
  const verdict = typeof code === 'number' ? VERDICTS[code] : undefined
  if (verdict === undefined) fail(`verdict ${JSON.stringify(code)}: expected 1 (suspect) or 2 (dead)`)
  if (typeof peer !== 'string' || peer.length > 128) return fail('peer: expected a peer id')
  try {
    peerIdFromString(peer)
  } catch {
    fail(`peer ${JSON.stringify(peer)} is not a peer id`)
  }
  if (typeof incarnation !== 'number' || !Number.isSafeInteger(incarnation) || incarnation < 0) fail('incarnation: expected a whole number')
  return { verdict: verdict as AlertVerdict, peer, incarnation: incarnation as number }
}

export interface MemberAlertsOptions {
  readonly libp2p: MeshLibp2p
  readonly table: MemberTable
  /** An alert was taken: probe `peer` now (the view may have changed too). */
  readonly heard: (peer: string) => void
  readonly log: { warn (obj: object, msg: string): void }
}

/**
 * Member alerts on gossipsub (ALERTS_TOPIC): a node whose rounds of a member went unanswered tells
 * the others ('suspect'), and again when it finds it down ('dead'); see node/mesh/probe-rounds.ts.
 * An alert never makes a member down by itself: the node that hears one probes that member every
 * tick until it answers, and counts a 'dead' as one round missed. An alert about this node, about
 * a member not known, or about an earlier life of a member (older incarnation) is ignored; a
 * malformed one is refused (said a few times) and changes nothing.
 */
export class MemberAlerts {
  readonly #opts: MemberAlertsOptions
  #refusedLogged = 0
  #stopped = false
  /** Alerts this node published. */
  sent = 0

  constructor (opts: MemberAlertsOptions) {
    this.#opts = opts
  }

  start (): void {
    const pubsub = this.#opts.libp2p.services.pubsub
    pubsub.subscribe(ALERTS_TOPIC)
    pubsub.addEventListener('message', (evt) => { this.#received(evt.detail) })
  }

  stop (): void {
    this.#stopped = true
  }

  /** Tells the others that `peer` does not answer this node. */
  publish (peer: string, verdict: AlertVerdict): void {
    this.sent++
    const incarnation = this.#opts.table.records().find((r) => r.peerId === peer)?.incarnation ?? 0
    this.#opts.libp2p.services.pubsub.publish(ALERTS_TOPIC, encodeMemberAlert({ verdict, peer, incarnation })).catch((err: unknown) => {
      // no member subscribed (a lone node) or the host is stopping: the others probe it in turn anyway
      if (!this.#stopped && !/NoPeersSubscribedToTopic/i.test(String((err as Error).message))) this.#opts.log.warn({ peer }, `member alert not sent: ${(err as Error).message}`)
    })
  }

  #received (message: Message): void {
    if (message.topic !== ALERTS_TOPIC || message.type !== 'signed') return
    const { table, libp2p, log } = this.#opts
    try {
      const alert = decodeMemberAlert(message.data, message.from.toString())
      if (alert.peer === libp2p.peerId.toString()) return
      const known = table.records().find((r) => r.peerId === alert.peer)
      if (known === undefined || known.incarnation > alert.incarnation) return
      table.detector.reported(alert.peer, alert.verdict)
      this.#opts.heard(alert.peer)
    } catch (err) {
      if (this.#refusedLogged++ < RECORD_REFUSALS_LOGGED) log.warn({ from: message.from.toString() }, (err as Error).message)
    }
  }
}
