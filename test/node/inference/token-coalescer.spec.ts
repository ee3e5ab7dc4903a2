import { expect } from 'chai'
import { TokenCoalescer } from '../../../node/inference/token-coalescer.ts'

describe('TokenCoalescer', () => {
  it('should write a token at once when the stream is idle, and join the tokens that arrive while a write is pending', () => {
    const writes: string[] = []
    const callbacks: Array<() => void> = []
    const tokens = new TokenCoalescer((text, written) => { writes.push(text); callbacks.push(written) })
    tokens.push('a')
    expect(writes).to.deep.equal(['a'])
    tokens.push('b')
    tokens.push('c')
    expect(writes).to.deep.equal(['a'])
    callbacks.shift()?.()
    expect(writes).to.deep.equal(['a', 'bc'])
    callbacks.shift()?.()
    // idle again: the next token goes out alone and at once
    tokens.push('d')
    expect(writes).to.deep.equal(['a', 'bc', 'd'])
  })

  it('should send what waits on flush, before the event that must follow it', () => {
    const writes: string[] = []
    const tokens = new TokenCoalescer((text) => { writes.push(text) })
    tokens.push('x')
    tokens.push('y')
    tokens.push('')
    tokens.flush()
    expect(writes).to.deep.equal(['x', 'y'])
    tokens.flush()
    expect(writes).to.deep.equal(['x', 'y'])
  })
})
