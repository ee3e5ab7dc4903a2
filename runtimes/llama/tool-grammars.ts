import type { Llama, LlamaGrammar } from 'node-llama-cpp'
import { MAX_CACHED_GRAMMARS } from './constants.ts'
import { argumentsGrammar, nameGrammar } from './json-grammar.ts'
import type { GrammarSchema } from './tool-schema.ts'

/**
 * A worker's compiled grammars of tool calls: the arguments of each tool (by its converted
 * schema) and the name among each set of tools. An agent offers the same tools at every turn, so
 * they are kept, the least recently used going first past MAX_CACHED_GRAMMARS.
 */
export class ToolGrammars {
  readonly #llama: Llama
  readonly #cache = new Map<string, Promise<LlamaGrammar>>()

  constructor (llama: Llama) {
    this.#llama = llama
  }

  /** The grammar of the arguments of a tool whose schema (tool-schema.ts) is `schema`. */
  async arguments (schema: GrammarSchema): Promise<LlamaGrammar> {
    return await this.#get(`a${JSON.stringify(schema)}`, async () => {
      // node-llama-cpp types its schemas to infer what they parse to; ours are data
      const json = await this.#llama.createGrammarForJsonSchema(schema as never)
      return await this.#llama.createGrammar({ grammar: argumentsGrammar(json.grammar) })
    })
  }

  /** The grammar of the name of one of `names` (after an optional space). */
  async names (names: readonly string[], optionalSpace: boolean): Promise<LlamaGrammar> {
    const grammar = nameGrammar(names, optionalSpace)
    return await this.#get(`n${grammar}`, async () => await this.#llama.createGrammar({ grammar }))
  }

  async #get (key: string, make: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let grammar = this.#cache.get(key)
    if (grammar !== undefined) {
      this.#cache.delete(key)
    } else {
      grammar = make()
      // a grammar that failed to compile is made again next time (and fails the same way)
      grammar.catch(() => { if (this.#cache.get(key) === grammar) this.#cache.delete(key) })
      const oldest = this.#cache.size >= MAX_CACHED_GRAMMARS ? this.#cache.keys().next().value : undefined
      if (oldest !== undefined) this.#cache.delete(oldest)
    }
    this.#cache.set(key, grammar)
    return await grammar
  }
}
