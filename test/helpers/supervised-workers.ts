import type { ActorRef, ActorSystem, Behavior, ChildInfo, ReplyTo, SupervisorMsg } from '../../actors/index.ts'
import { waitFor } from './wait-for.ts'

// Workers under supervisors, for the specs of supervision (test/actors/kernel): each logs its starts
// and stops to a shared log and counts its incarnations.

export type WorkerMsg =
  | { type: 'crash' }
  | { type: 'quit' }
  | { type: 'hang' }
  | { type: 'note', text: string }
  | { type: 'state', replyTo: ReplyTo<{ incarnation: number, notes: string[] }> }

export interface WorkerState { incarnation: number, notes: string[] }

/** A worker that logs its starts and stops to a shared log and counts its incarnations. */
export function worker (name: string, log: string[], counts: Map<string, number>, initDelay = 0): () => Behavior<WorkerMsg, WorkerState> {
  return () => ({
    async init () {
      if (initDelay > 0) await new Promise((resolve) => setTimeout(resolve, initDelay))
      const incarnation = (counts.get(name) ?? 0) + 1
      counts.set(name, incarnation)
      log.push(`start:${name}`)
      return { incarnation, notes: [] }
    },
    async receive (state, msg, ctx) {
      switch (msg.type) {
        case 'crash': throw new Error(`${name} crashed`)
        case 'quit': void ctx.stop(); return state
        case 'hang':
          log.push(`hang:${name}`)
          await new Promise(() => {})
          return state
        case 'note': return { ...state, notes: [...state.notes, msg.text] }
        case 'state': ctx.reply(msg.replyTo, state); return state
      }
    },
    onStop (_state, reason) { log.push(`stop:${name}:${reason.type}`) }
  })
}

export const stateOf = (ref: ActorRef<WorkerMsg>): Promise<WorkerState> =>
  ref.ask<WorkerState>((replyTo) => ({ type: 'state', replyTo }), { timeout: 3_000 })

export const childrenOf = (sup: ActorRef<SupervisorMsg>): Promise<ChildInfo[]> =>
  sup.ask<ChildInfo[]>((replyTo) => ({ type: 'which-children', replyTo }))

/** The child `id` of `sup`, once it is there. */
export async function findChild (system: ActorSystem, sup: ActorRef<SupervisorMsg>, id: string): Promise<ActorRef<WorkerMsg>> {
  await waitFor(() => system.lookup(`${sup.path}/${id}`) !== undefined, `child ${id}`)
  return system.lookup(`${sup.path}/${id}`) as ActorRef<WorkerMsg>
}

