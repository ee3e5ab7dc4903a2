import { PromptTooLongError } from '../errors.ts'
import type { ChatTurn } from '../runtime.ts'

export interface ChatPrompt<T> {
  readonly tokens: readonly T[]
  /** Turns left out, oldest first. */
  readonly droppedTurns: number
}

export interface ChatPromptLimits<T> {
  /** Tokens one request may use, prompt and answer together. */
  readonly contextSize: number
  /** Tokens to leave free for the answer (the request's maxTokens). */
  readonly room: number
  /** The turns as the model's chat template writes them, tokenized. */
  readonly format: (turns: readonly ChatTurn[]) => readonly T[]
}

/**
 * Formats a conversation so that it fits the context with `room` tokens left for the answer,
 * dropping the oldest turns that are neither system turns nor the last turn. When even the kept
 * turns leave less room than asked, they are used anyway (the answer may stop at 'context-full');
 * when they do not fit at all, PromptTooLongError.
 */
export function fitChatPrompt<T> (turns: readonly ChatTurn[], limits: ChatPromptLimits<T>): ChatPrompt<T> {
  const { contextSize, room, format } = limits
  const droppable = turns.flatMap((turn, i) => (turn.role !== 'system' && i < turns.length - 1 ? [i] : []))
  const without = (dropped: number): readonly ChatTurn[] => {
    const gone = new Set(droppable.slice(0, dropped))
    return turns.filter((_, i) => !gone.has(i))
  }
  const fits = (tokens: readonly T[]): boolean => tokens.length + room <= contextSize

  const all = format(turns)
  if (fits(all)) return { tokens: all, droppedTurns: 0 }
  const kept = format(without(droppable.length))
  // the context must hold the prompt and at least the first generated token
  if (kept.length >= contextSize) {
    throw new PromptTooLongError(`the conversation needs ${kept.length} tokens even with only its system turns and its last turn; the context holds ${contextSize}`)
  }
  if (!fits(kept)) return { tokens: kept, droppedTurns: droppable.length }
  // The fewest drops that fit: dropping a turn never lengthens the prompt, so binary search
  // (each probe formats and tokenizes the whole conversation once).
  let low = 1
  let high = droppable.length
  let best = kept   // always the prompt for `high` drops
  while (low < high) {
    const mid = Math.floor((low + high) / 2)
    const tokens = format(without(mid))
    if (fits(tokens)) {
      high = mid
      best = tokens
    } else {
      low = mid + 1
    }
  }
  return { tokens: best, droppedTurns: high }
}
