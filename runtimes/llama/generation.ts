import { randomBytes } from 'node:crypto'
import { LlamaGrammarEvaluationState } from 'node-llama-cpp'
import type { LlamaContextSequence, LlamaGrammar, LlamaModel, Token } from 'node-llama-cpp'
import type { ToolCall, ToolChoice } from '../../protocols/index.ts'
import type { SamplingParams, StopReason, ToolDefinition } from '../runtime.ts'
import type { CallSyntax } from './call-syntax.ts'
import { PieceDecoder } from './piece-decoder.ts'
import type { RequestPort } from './request-port.ts'
import { StopStringDetector } from './stop-string-detector.ts'
import type { GrammarSchema } from './tool-schema.ts'

/** The tools of a request and how its answer may call them (tool choice "none" has none). */
export interface ToolPlan {
  readonly choice: Exclude<ToolChoice, 'none'>
  readonly syntax: CallSyntax
  /** Each tool offered, with its schema as the grammar takes it. */
  readonly tools: ReadonlyArray<{ readonly tool: ToolDefinition, readonly schema: GrammarSchema }>
  /** The prompt ends with a call's opening already (an assistant turn that stopped there): the
   * answer goes on with the tool's name. */
  readonly primed: boolean
  readonly grammars: {
    arguments (schema: GrammarSchema): Promise<LlamaGrammar>
    names (names: readonly string[], optionalSpace: boolean): Promise<LlamaGrammar>
  }
  /** Checks a forced call's arguments against the tool's schema as given (throws: a bug). */
  readonly check?: (tool: ToolDefinition, args: unknown) => void
}

/** What the generation of one answer made. */
export interface Generated {
  readonly stopReason: StopReason
  /** Tokens the model sampled (a call's opening, put in the context for it, not counted). */
  readonly completionTokens: number
  readonly firstTokenAt: number | undefined
  readonly toolCalls?: readonly ToolCall[]
}

/** Why a run of sampling ended: 'eog' the end of text (or, under a grammar, of what it allows),
 * 'stopped' the caller's word (a stop string, a call's opening). */
type RunEnd = 'eog' | 'stopped' | 'cancelled' | 'max-tokens' | 'context-full'

/** The text of an answer up to the point where it opens a call, and what reopens it in the context. */
interface TextRun {
  readonly end: RunEnd
  /** The model opened a call: the tokens of its opening, to evaluate in place of what it sampled. */
  readonly call?: Token[]
}

/** A piece of text the decoder released: the generated token it begins with and where it starts
 * in the answer's text. */
interface Piece { readonly token: number, readonly start: number }

/**
 * The generation of one answer in a context sequence holding its prompt: text streamed to the
 * request's port until an end of text, a stop string, maxTokens, a full context or a cancel; with
 * tools, a call. A forced call puts the chat wrapper's call opening in the context and samples
 * the tool's name and then its arguments under grammars (the arguments' made from the tool's
 * schema), so that they always parse and validate. With tool choice "auto" the model's own text
 * is watched for the opening: once written, what it sampled from the opening's start is taken out
 * of the context and the opening evaluated as the wrapper writes it, then the call goes on the
 * same way. One call per answer: its result comes back as a tool turn of the next request.
 */
export class Generation {
  readonly #model: LlamaModel
  readonly #sequence: LlamaContextSequence
  readonly #port: RequestPort
  readonly #params: SamplingParams
  readonly #contextSize: number
  /** Tokens the context holds. */
  #used: number
  #sampled = 0
  #firstTokenAt: number | undefined

  /** `used`: the prompt's tokens the context holds already (the rest are given to run()). */
  constructor (model: LlamaModel, sequence: LlamaContextSequence, port: RequestPort, options: { readonly params: SamplingParams, readonly contextSize: number, readonly used: number }) {
    this.#model = model
    this.#sequence = sequence
    this.#port = port
    this.#params = options.params
    this.#contextSize = options.contextSize
    this.#used = options.used
  }

  /** Generates the answer from `input` (the prompt's tokens not in the context yet). */
  async run (input: readonly Token[], stops: readonly string[], plan?: ToolPlan): Promise<Generated> {
    if (plan === undefined) return this.#ended((await this.#text(input, stops, undefined)).end)
    let next = [...input]
    if (plan.choice === 'auto' && !plan.primed) {
      const text = await this.#text(next, stops, plan.syntax)
      if (text.call === undefined) return this.#ended(text.end)
      next = text.call
    }
    const opened = plan.primed || plan.choice === 'auto'
    let name: string
    if (typeof plan.choice === 'object') {
      name = plan.choice.name
      next.push(...(opened ? plan.syntax.nameTokens(name) : plan.syntax.callTokens(name)))
    } else {
      if (!opened) next.push(...plan.syntax.openingTokens())
      const names = plan.tools.map(({ tool }) => tool.name)
      const written = await this.#constrained(next, await plan.grammars.names(names, plan.syntax.optionalSpace))
      if ('end' in written) return this.#ended(written.end)
      name = written.text.trim()
      next = plan.syntax.paramsPrefixTokens(name)
    }
    const offered = plan.tools.find(({ tool }) => tool.name === name)
    if (offered === undefined) throw new Error(`the grammar let the model call ${JSON.stringify(name)}, which is not one of the tools`)
    const written = await this.#constrained(next, await plan.grammars.arguments(offered.schema))
    if ('end' in written) return this.#ended(written.end)
    const args = JSON.parse(written.text) as Record<string, unknown>
    plan.check?.(offered.tool, args)
    return { ...this.#ended('eog'), stopReason: 'tool-calls', toolCalls: [{ id: `call_${randomBytes(12).toString('hex')}`, name, arguments: args }] }
  }

  #ended (end: RunEnd): Generated {
    const stopReason: StopReason = end === 'eog' || end === 'stopped' ? 'eos' : end
    return { stopReason, completionTokens: this.#sampled, firstTokenAt: this.#firstTokenAt }
  }

  /**
   * Samples text into the port, read with its special tokens written out when `syntax` is given,
   * so that an opening made of special tokens is seen; `syntax` also watches for a call's opening.
   */
  async #text (input: readonly Token[], stops: readonly string[], syntax: CallSyntax | undefined): Promise<TextRun> {
    const special = syntax !== undefined
    const decoder = new PieceDecoder<Token>((tokens, lastTokens) => this.#model.detokenize(tokens, special, lastTokens))
    const stopper = new StopStringDetector(stops)
    const opening = new StopStringDetector(syntax?.triggers ?? [])
    const pieces: Piece[] = []
    let text = ''
    let passed = 0
    let generated = 0
    let heldFrom = 0
    let found: { readonly at: number, readonly trigger: string } | undefined
    let stopped = false
    const show = (shown: string): boolean => {
      const out = stopper.push(shown)
      this.#port.write(out.text)
      stopped ||= out.stopped
      return out.stopped
    }
    const start = this.#used + input.length
    const end = await this.#sample(input, undefined, (token) => {
      generated++
      const piece = decoder.push(token)
      if (piece === '') return false
      pieces.push({ token: heldFrom, start: text.length })
      heldFrom = generated
      text += piece
      const out = opening.push(piece)
      if (out.stopped) found = { at: passed + out.text.length, trigger: out.stop ?? '' }
      passed += out.text.length
      return show(out.text) || out.stopped
    })
    if (found !== undefined && !stopped) {
      // what the stop strings held back was no stop string: the text before the call
      this.#port.write(stopper.flush())
      return { end, call: await this.#reopen(pieces, text, found, start, syntax) }
    }
    if (!stopped) {
      // a stop string (or an opening, too late to be a call) may end in text still held back
      const rest = opening.push(decoder.flush())
      let ended = show(rest.text)
      if (!ended && rest.stopped !== true) ended = show(opening.flush())
      if (!ended) this.#port.write(stopper.flush())
    }
    return { end }
  }

  /** The call's opening as tokens again, in place of what the model sampled from where it began:
   * those tokens leave the context (the opening may have begun inside one of them). */
  async #reopen (pieces: readonly Piece[], text: string, found: { readonly at: number, readonly trigger: string }, start: number, syntax: CallSyntax | undefined): Promise<Token[]> {
    const piece = pieces.findLast((p) => p.start <= found.at) ?? { token: 0, start: 0 }
    const from = start + piece.token
    if (from < this.#used) await this.#sequence.eraseContextTokenRanges([{ start: from, end: this.#used }])
    this.#used = Math.min(this.#used, from)
    return syntax?.tokenize(text.slice(piece.start, found.at) + found.trigger) ?? []
  }

  /** Samples under `grammar` until it allows only the end of text: the text written, or why it
   * ended first. */
  async #constrained (input: readonly Token[], grammar: LlamaGrammar): Promise<{ readonly text: string } | { readonly end: RunEnd }> {
    const decoder = new PieceDecoder<Token>((tokens, lastTokens) => this.#model.detokenize(tokens, false, lastTokens))
    let text = ''
    const state = new LlamaGrammarEvaluationState({ model: this.#model, grammar })
    const end = await this.#sample(input, state, (token) => {
      text += decoder.push(token)
      return false
    })
    return end === 'eog' ? { text: text + decoder.flush() } : { end }
  }

  /**
   * Evaluates `input` and samples after it, handing each token to `onToken` (true: stop there)
   * until the end of text, maxTokens (all runs of the answer together), a full context or a
   * cancel. The token it stops at is not evaluated.
   */
  async #sample (input: readonly Token[], grammar: LlamaGrammarEvaluationState | undefined, onToken: (token: Token) => boolean): Promise<RunEnd> {
    if (this.#port.cancelled) return 'cancelled'
    // evaluating this run's input must leave a cell for the token sampled after it; node-llama-cpp
    // would otherwise shift the context silently and forget the prompt's start
    if (input.length === 0) throw new TypeError('a run of sampling starts from the evaluation of at least one token')
    if (this.#used + input.length >= this.#contextSize) return 'context-full'
    const { temperature, topK, topP, seed } = this.#params
    const tokens = this.#sequence.evaluate([...input], {
      temperature,
      topK,
      topP,
      seed,
      ...(grammar !== undefined && { grammarEvaluationState: grammar }),
      // otherwise evaluate() ends silently at an EOG token and 'eos' cannot be told apart
      yieldEogToken: true
    })
    let evaluated = input.length
    for await (const token of tokens) {
      // each token sampled means the ones before it were evaluated
      this.#used += evaluated
      evaluated = 1
      if (this.#port.cancelled) return 'cancelled'
      if (this.#model.isEogToken(token)) return 'eog'
      this.#sampled++
      this.#firstTokenAt ??= performance.now()
      if (onToken(token)) return 'stopped'
      if (this.#sampled >= this.#params.maxTokens) return 'max-tokens'
      // evaluating this token (to sample the next) needs a free cell
      if (this.#used + 1 >= this.#contextSize) return 'context-full'
    }
    // llama.cpp ends an evaluation by itself only when it produced no next token
    return 'eog'
  }
}
