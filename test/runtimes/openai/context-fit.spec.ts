import { expect } from 'chai'
import { fitContext } from '../../../runtimes/openai/index.ts'
import type { ChatTurn } from '../../../runtimes/index.ts'

/** One token per character, so that the budgets below are easy to follow. */
const count = (turn: ChatTurn): number => turn.content.length
const system = (content: string): ChatTurn => ({ role: 'system', content })
const user = (content: string): ChatTurn => ({ role: 'user', content })
const assistant = (content: string): ChatTurn => ({ role: 'assistant', content })

describe('fitContext', () => {
  it('should leave out a tool\'s result whose call was left out, as servers refuse one, and keep a call with its results', () => {
    const call = { id: 'c1', name: 'clock', arguments: {} }
    const calling: ChatTurn = { role: 'assistant', content: 'a0', toolCalls: [call] }
    const result: ChatTurn = { role: 'tool', toolCallId: 'c1', content: 't0' }
    const turns: ChatTurn[] = [user('u0'), calling, result, assistant('a1'), user('u2')]
    // u0 and the call go; the result then answers nothing, and a1 nothing kept
    expect(fitContext(turns, 7, count)).to.deep.equal({ turns: [user('u2')], droppedTurns: 4, tokens: 2 })
    const kept = [user('u0'), user('u1'), calling, result, assistant('a1'), user('u2')]
    expect(fitContext(kept, 11, count)).to.deep.equal({ turns: kept.slice(1), droppedTurns: 1, tokens: 10 })
  })

  it('should keep every turn when they fit', () => {
    const turns = [system('ss'), user('uu'), assistant('aa'), user('u2')]
    expect(fitContext(turns, 8, count)).to.deep.equal({ turns, droppedTurns: 0, tokens: 8 })
  })

  it('should drop the oldest non-system turns first, keeping system turns wherever they are', () => {
    const turns = [system('s'), user('u0'), assistant('a0'), system('t'), user('u1'), assistant('a1'), user('u2')]
    const fit = fitContext(turns, 8, count)
    expect(fit.turns).to.deep.equal([system('s'), system('t'), user('u1'), assistant('a1'), user('u2')])
    expect(fit).to.deep.include({ droppedTurns: 2, tokens: 8 })
  })

  it('should drop an answer left at the head of the history once its question is gone', () => {
    const turns = [user('u0'), assistant('a0'), user('u1'), assistant('a1'), user('u2')]
    const fit = fitContext(turns, 6, count)
    expect(fit.turns).to.deep.equal([user('u1'), assistant('a1'), user('u2')])
    expect(fit.droppedTurns).to.equal(2)
    const tight = fitContext(turns, 5, count)
    expect(tight.turns).to.deep.equal([user('u2')])
    expect(tight).to.deep.include({ droppedTurns: 4, tokens: 2 })
  })

  it('should throw PromptTooLongError saying what does not fit when the kept turns are too long', () => {
    expect(() => fitContext([user('a'), user('x'.repeat(10))], 9, count)).to.throw('the last turn alone needs 10 tokens, and 9 are left')
    expect(() => fitContext([system('ssss'), user('u'), user('x'.repeat(5))], 8, count))
      .to.throw('the system turns and the last turn need 9 tokens (the last turn 5)')
      .with.property('name', 'PromptTooLongError')
  })
})
