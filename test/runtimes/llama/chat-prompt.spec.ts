import { expect } from 'chai'
import { fitChatPrompt } from '../../../runtimes/llama/chat-prompt.ts'
import type { ChatTurn } from '../../../runtimes/runtime.ts'

/** A stand-in template: each turn costs its length plus 4 tokens, the prompt 2 more. Tokens are
 * the turns' first letters, so a test can see which turns made it in. */
function format (turns: readonly ChatTurn[]): string[] {
  const tokens = ['<s>', '>']
  for (const turn of turns) tokens.push(...Array.from({ length: turn.content.length + 4 }, () => turn.content[0] ?? '?'))
  return tokens
}

const turn = (role: ChatTurn['role'], letter: string, length = 10): ChatTurn => ({ role, content: letter.repeat(length) })
const letters = (tokens: readonly string[]): string => [...new Set(tokens.slice(2))].join('')

describe('fitChatPrompt', () => {
  const conversation = [turn('system', 's'), turn('user', 'a'), turn('assistant', 'b'), turn('user', 'c'), turn('assistant', 'd'), turn('user', 'e')]
  // every turn is 14 tokens and the prompt 2 more: all six are 86

  it('should keep every turn when the conversation and the room fit', () => {
    const prompt = fitChatPrompt(conversation, { contextSize: 100, room: 14, format })
    expect(prompt.droppedTurns).to.equal(0)
    expect(prompt.tokens).to.have.length(86)
  })

  it('should drop the fewest oldest non-system turns when the conversation does not fit', () => {
    const prompt = fitChatPrompt(conversation, { contextSize: 100, room: 30, format })
    expect(prompt.droppedTurns).to.equal(2)
    expect(letters(prompt.tokens)).to.equal('scde')
    expect(prompt.tokens.length + 30).to.be.at.most(100)
  })

  it('should keep the system turns and the last turn with little room when only they fit', () => {
    const prompt = fitChatPrompt(conversation, { contextSize: 40, room: 30, format })
    expect(prompt.droppedTurns).to.equal(4)
    expect(letters(prompt.tokens)).to.equal('se')
  })

  it('should keep a system turn that is not the first', () => {
    const turns = [turn('user', 'a'), turn('system', 's'), turn('user', 'b'), turn('user', 'c')]
    const prompt = fitChatPrompt(turns, { contextSize: 50, room: 10, format })
    expect(prompt.droppedTurns).to.equal(2)
    expect(letters(prompt.tokens)).to.equal('sc')
  })

  it('should throw PromptTooLongError when the system turns and the last turn fill the context', () => {
    expect(() => fitChatPrompt([turn('system', 's'), turn('user', 'a', 100)], { contextSize: 120, room: 1, format }))
      .to.throw().with.property('name', 'PromptTooLongError')
  })
})
