/**
 * Conversations on real llama.cpp (the generated test model, CPU, one thread) through LlamaRuntime:
 * the set-up the KV-cache specs share (runtimes/llama: context slots, saved states, worker
 * affinity, generation).
 */
import { join } from 'node:path'
import { readGgufInfo, validateModel, writeTinyModel } from '../../runtimes/index.ts'
import type { ModelFacts, ModelSize } from '../../runtimes/index.ts'
import { LlamaRuntime } from '../../runtimes/llama/llama-runtime.ts'
import type { LlamaRuntimeOptions } from '../../runtimes/llama/llama-runtime.ts'
import type { ChatTurn, GenerateResult, SamplingParams } from '../../runtimes/runtime.ts'

export const greedy = (maxTokens: number, stop?: string[]): SamplingParams => ({ maxTokens, temperature: 0, topP: 1, topK: 0, ...(stop !== undefined && { stop }) })
export const SYSTEM: ChatTurn = { role: 'system', content: 'You are a helpful assistant. Answer briefly and clearly.' }
export const question = (turn: number): ChatTurn => ({ role: 'user', content: `Question ${turn}: what does the number ${turn * 7} mean to an actor runtime?` })

export interface Model { readonly file: string, readonly facts: ModelFacts }

/** The generated model of `size` (f16) written in `dir`, with its facts. */
export async function model (dir: string, size: ModelSize, seed = 1): Promise<Model> {
  const file = join(dir, `${size}-${seed}.gguf`)
  await writeTinyModel(file, { size, quant: 'f16', seed })
  return { file, facts: validateModel(file, await readGgufInfo(file)) }
}

/** A runtime of `model` on the CPU: one thread, one context of 2048 tokens unless told. */
export function runtime ({ file, facts }: Model, options: Partial<LlamaRuntimeOptions> = {}): LlamaRuntime {
  return new LlamaRuntime({ name: 'm', file, facts, gpu: 'off', threads: 1, contextsPerWorker: 1, contextSize: 2048, ...options })
}

/** Runs a conversation of `turns` questions; each answer joins the history of the next turn. */
export async function converse (rt: LlamaRuntime, turns: number, cacheKey: string | undefined, maxTokens = 32): Promise<GenerateResult[]> {
  const history: ChatTurn[] = [SYSTEM]
  const results: GenerateResult[] = []
  for (let turn = 0; turn < turns; turn++) {
    history.push(question(turn))
    const result = await rt.generate({ input: { messages: history }, params: greedy(maxTokens), ...(cacheKey !== undefined && { cacheKey }) }, () => {})
    results.push(result)
    history.push({ role: 'assistant', content: result.text })
  }
  return results
}

/** One turn of each conversation in turn, `turns` rounds. */
export async function interleave (rt: LlamaRuntime, keys: readonly string[], turns: number): Promise<Map<string, GenerateResult[]>> {
  const histories = new Map(keys.map((key) => [key, [SYSTEM, { role: 'user', content: `I am ${key}.` }] as ChatTurn[]]))
  const results = new Map(keys.map((key) => [key, [] as GenerateResult[]]))
  for (let turn = 0; turn < turns; turn++) {
    for (const key of keys) {
      const history = histories.get(key) ?? []
      history.push(question(turn))
      const result = await rt.generate({ input: { messages: history }, params: greedy(24), cacheKey: key }, () => {})
      results.get(key)?.push(result)
      history.push({ role: 'assistant', content: result.text })
    }
  }
  return results
}

export const texts = (results: readonly GenerateResult[]): string[] => results.map((r) => r.text)
