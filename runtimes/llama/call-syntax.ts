import { LlamaText } from 'node-llama-cpp'
import type { ChatWrapper, LlamaModel, Token } from 'node-llama-cpp'

type TextOf = string | LlamaText

/**
 * How the model's chat wrapper writes a function call (its `settings.functions`): the text that
 * opens a call, the tool's name, the text between the name and the arguments, the arguments as
 * JSON. Used to force a call (the opening is put in the context, then the name and the arguments
 * are sampled under grammars) and, with tool choice "auto", to see the model open one itself.
 * Texts are compared as the model's tokens read with their special tokens written out, since some
 * wrappers open a call with a special token.
 */
export class CallSyntax {
  /** A space may come between the opening and the name. */
  readonly optionalSpace: boolean
  /** The texts that open a call, longest first: the model writing any of them starts one. */
  readonly triggers: readonly string[]
  readonly #model: LlamaModel
  readonly #opening: LlamaText
  readonly #paramsPrefix: LlamaText

  constructor (wrapper: ChatWrapper, model: LlamaModel) {
    const { call, parallelism } = wrapper.settings.functions
    this.#model = model
    this.optionalSpace = call.optionalPrefixSpace
    // wrappers of parallel calls open a section of calls, then the first call
    this.#opening = LlamaText([parallelism?.call.sectionPrefix ?? '', call.prefix])
    this.#paramsPrefix = LlamaText(call.paramsPrefix)
    const openings: TextOf[] = [this.#opening, call.prefix, ...(call.prefixAlternateMatches ?? [])]
    const texts = openings.map((opening) => this.#render(LlamaText(opening))).filter((text) => text.length > 0)
    this.triggers = [...new Set(texts)].sort((a, b) => b.length - a.length)
  }

  /** The call's opening, up to the tool's name. */
  openingTokens (): Token[] {
    return this.#opening.tokenize(this.#model.tokenizer)
  }

  /** The call of `name` up to its arguments. */
  callTokens (name: string): Token[] {
    return LlamaText([this.#opening, name, this.#argumentsPrefix(name)]).tokenize(this.#model.tokenizer)
  }

  /** `name` and what follows it up to the arguments (the opening is in the context already). */
  nameTokens (name: string): Token[] {
    return LlamaText([name, this.#argumentsPrefix(name)]).tokenize(this.#model.tokenizer)
  }

  /** What comes between the name and the arguments: never nothing, since the arguments' sampling
   * starts from the evaluation of at least one token. */
  paramsPrefixTokens (name: string): Token[] {
    const tokens = this.#argumentsPrefix(name).tokenize(this.#model.tokenizer)
    if (tokens.length === 0) throw new TypeError('this chat wrapper writes nothing between a tool\'s name and its arguments; the llama.cpp runtime cannot constrain them')
    return tokens
  }

  /** Text the model wrote (special tokens written out) as tokens again. */
  tokenize (text: string): Token[] {
    return this.#model.tokenize(text, true)
  }

  /** Whether `text` ends with a call's opening: an assistant turn that stopped there is a call the
   * model goes on with. */
  opens (text: string): boolean {
    return this.triggers.some((trigger) => text.endsWith(trigger))
  }

  #argumentsPrefix (name: string): LlamaText {
    return this.#paramsPrefix.mapValues((value) => typeof value === 'string' ? value.replaceAll('{{functionName}}', name) : value)
  }

  #render (text: LlamaText): string {
    return this.#model.detokenize(text.tokenize(this.#model.tokenizer), true)
  }
}
