import type { GenerateResult } from '../../runtimes/index.ts'
import type { SpanAttrs, Spans } from '../tracing/index.ts'

function noop (): void {}

/**
 * An agent's turn as a span, `agent.turn` (a child of the trace that asked, or a trace of its own
 * as the head sampler decides), with its phases as children made from the runtime's timings once
 * it answered: `inference.queue` (waiting for a context: the model's queue, a load), then
 * `inference.prompt` (to the first token: the prompt's evaluation, a KV cache restored from disk
 * first, whose source and reused tokens it names), then `inference.generate` (the rest).
 */
export async function tracedTurn (spans: Spans, attrs: SpanAttrs, run: () => Promise<GenerateResult>): Promise<GenerateResult> {
  if (!spans.on) return await run()
  return await spans.span('agent.turn', attrs, async () => {
    const asked = Date.now()
    const result = await run()
    markPhases(spans, asked, Date.now(), result)
    return result
  }, { root: true })
}

/** The phases of a turn that ended at `ended`, from its result's timings (the runtime's own). */
function markPhases (spans: Spans, asked: number, ended: number, r: GenerateResult): void {
  const started = Math.min(ended, Math.max(asked, ended - r.durationMs))
  const firstToken = Math.min(ended, started + r.ttftMs)
  spans.span('inference.queue', undefined, noop, { startTime: asked, endTime: started })
  spans.span('inference.prompt', {
    'gen_ai.usage.input_tokens': r.promptTokens,
    'plexi.dropped_turns': r.droppedTurns,
    'plexi.kv_cache.source': r.cache?.source,
    'plexi.kv_cache.reused_tokens': r.cache?.reusedTokens
  }, noop, { startTime: started, endTime: firstToken })
  spans.span('inference.generate', { 'gen_ai.usage.output_tokens': r.completionTokens, 'plexi.stop_reason': r.stopReason }, noop, { startTime: firstToken, endTime: ended })
}
