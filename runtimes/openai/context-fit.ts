import { PromptTooLongError } from '../errors.ts'
import type { ChatTurn } from '../runtime.ts'

export interface ContextFit {
  /** The turns to send, in their original order. */
  readonly turns: ChatTurn[]
  /** Turns left out (oldest first). */
  readonly droppedTurns: number
  /** What the kept turns count, by the counter given. */
  readonly tokens: number
}

/**
 * Fits a conversation into `budget` tokens as the Runtime contract says: the oldest non-system
 * turns go first; system turns and the last turn are always kept (PromptTooLongError when those
 * alone do not fit). `count` is the tokenizer (or an estimate) of one turn. An assistant turn left
 * at the head of the history once its question is dropped goes too: it answers nothing kept, and
 * strict chat templates refuse a history that does not start with a user turn; so does a tool's
 * result once its call is left out.
 */
export function fitContext (turns: readonly ChatTurn[], budget: number, count: (turn: ChatTurn) => number): ContextFit {
  const costs = turns.map(count)
  let tokens = costs.reduce((a, b) => a + b, 0)
  if (tokens <= budget) return { turns: [...turns], droppedTurns: 0, tokens }
  const last = turns.length - 1
  const dropped = new Set<number>()
  for (let i = 0; i < last && tokens > budget; i++) {
    if (turns[i]?.role === 'system') continue
    dropped.add(i)
    tokens -= costs[i] ?? 0
  }
  if (tokens > budget) {
    const lastCost = costs[last] ?? 0
    const kept = lastCost === tokens ? `the last turn alone needs ${lastCost} tokens` : `the system turns and the last turn need ${tokens} tokens (the last turn ${lastCost})`
    throw new PromptTooLongError(`the prompt does not fit the context: ${kept}, and ${budget} are left after the answer's max tokens`)
  }
  const drop = (i: number): void => {
    dropped.add(i)
    tokens -= costs[i] ?? 0
  }
  // each drop below may make another: an answer left at the head takes the results of its calls
  // along, which may leave the next answer at the head
  for (let before = -1; before !== dropped.size;) {
    before = dropped.size
    const firstKept = turns.findIndex((turn, i) => turn.role !== 'system' && !dropped.has(i))
    if (firstKept !== -1 && firstKept !== last && turns[firstKept]?.role === 'assistant') drop(firstKept)
    // a tool's result whose call went answers nothing, and servers refuse it
    const calls = new Set(turns.flatMap((turn, i) => dropped.has(i) ? [] : (turn.toolCalls ?? []).map((call) => call.id)))
    turns.forEach((turn, i) => { if (turn.role === 'tool' && !dropped.has(i) && !calls.has(turn.toolCallId ?? '')) drop(i) })
  }
  return { turns: turns.filter((_, i) => !dropped.has(i)), droppedTurns: dropped.size, tokens }
}

/** Fits the turns into `context` with `room` left for the answer when possible, else with at
 * least one token left; PromptTooLongError when not even that. */
export function fitLeavingRoom (turns: readonly ChatTurn[], context: number, room: number, count: (turn: ChatTurn) => number): ContextFit {
  try {
    return fitContext(turns, context - room, count)
  } catch (err) {
    if ((err as Error).name !== 'PromptTooLongError' || room <= 1) throw err
    return fitContext(turns, context - 1, count)
  }
}
