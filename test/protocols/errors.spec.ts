import { expect } from 'chai'
import fc from 'fast-check'
import * as actors from '../../actors/index.ts'
import {
  ERROR_KINDS, RateLimitedError, UnexpectedMessageError, assertNever, clip, clipBytes, errorClasses, errorData, isErrorData, isRefusal, kindOf, rebuildError, shown
} from '../../protocols/index.ts'
import * as runtimes from '../../runtimes/index.ts'

describe('errors (protocols)', () => {
  it('should give every error class of the kernel, the entities and the runtimes one known kind', () => {
    const classes = errorClasses(actors, runtimes)
    expect(classes.size).to.be.greaterThan(20)
    for (const [name, Class] of classes) {
      const instance = Reflect.construct(Class, ['x', [], 1, 2, 'cause']) as Error
      expect(ERROR_KINDS, name).to.include(kindOf(instance))
      expect(instance.name, name).to.equal(name)
    }
    expect(kindOf(new actors.InvalidNameError('key', 'a/b', 'no /'))).to.equal('invalid')
    expect(kindOf(new actors.AskTimeoutError('/x', 5))).to.equal('timeout')
    expect(kindOf(new runtimes.ModelMemoryError('full'))).to.equal('exhausted')
  })

  it('should call anything without a known kind internal, and only request-side kinds refusals', () => {
    expect(kindOf(new TypeError('bug'))).to.equal('internal')
    expect(kindOf('a string')).to.equal('internal')
    expect(kindOf({ kind: 'made-up' })).to.equal('internal')
    expect(isRefusal(new actors.InvalidNameError('key', 'a/b', 'no /'))).to.equal(true)
    expect(isRefusal(new RateLimitedError('slow down', 10))).to.equal(true)
    expect(isRefusal(new actors.ActorStoppedError('/x'))).to.equal(false)
    expect(isRefusal(new Error('bug'))).to.equal(false)
  })

  it('should carry name, message, kind and plain fields as data and rebuild the same class', () => {
    const data = errorData(new RateLimitedError('slow down', 1500))
    expect(data).to.deep.equal({ name: 'RateLimitedError', message: 'slow down', kind: 'exhausted', fields: { retryAfterMs: 1500 } })
    expect(isErrorData(data)).to.equal(true)
    const rebuilt = rebuildError(data, errorClasses({ RateLimitedError }), 'peer p1')
    expect(rebuilt).to.be.instanceOf(RateLimitedError)
    expect(rebuilt).to.include({ name: 'RateLimitedError', message: 'slow down', kind: 'exhausted', retryAfterMs: 1500 })
    expect(rebuilt.stack).to.match(/at peer p1$/)
    // an unknown class comes back as an Error that still says what it was
    const unknown = rebuildError({ name: 'QuotaError', message: 'q', kind: 'exhausted' })
    expect(unknown).to.include({ name: 'QuotaError', kind: 'exhausted' })
    expect(isRefusal(unknown)).to.equal(true)
  })

  it('should keep an error\'s superseded mark (a newer owner took the entity) through its causes and across the wire', () => {
    const fenced = Object.assign(new Error('room/r: epoch 1 is stale'), { superseded: true })
    const classes = errorClasses(actors)
    for (const err of [new actors.JournalWriteError('room/r', fenced), new actors.ActorStoppedError('/entities/room/r', new actors.JournalWriteError('room/r', fenced))]) {
      expect(actors.isSuperseded(err), err.name).to.equal(true)
      expect(actors.isSuperseded(rebuildError(errorData(err), classes, 'a peer')), `${err.name} from a peer`).to.equal(true)
    }
    for (const err of [new actors.ActorStoppedError('/entities/room/r'), new actors.JournalWriteError('room/r', new Error('disk full')), undefined, 'text']) {
      expect(actors.isSuperseded(err)).to.equal(false)
      if (err instanceof Error) expect(actors.isSuperseded(rebuildError(errorData(err), classes))).to.equal(false)
    }
  })

  it('should keep data within its limits and refuse malformed data from a peer', () => {
    fc.assert(fc.property(fc.string({ maxLength: 10_000 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 2000 }), fc.integer(), fc.boolean(), fc.object())), (message, extra) => {
      const err = Object.assign(new Error(message), extra)
      expect(isErrorData(errorData(err))).to.equal(true)
    }), { seed: 20261122, numRuns: 300 })
    // the case a random run once found: an Error whose name is not a string
    expect(isErrorData(errorData(Object.assign(new Error(''), { name: {} })))).to.equal(true)
    for (const bad of [null, [], 'x', { name: 'E', message: 'm', kind: 'nope' }, { name: 'E', message: 'm', kind: 'invalid', fields: { a: {} } }, { name: 'E'.repeat(200), message: 'm', kind: 'invalid' }]) {
      expect(isErrorData(bad), JSON.stringify(bad)).to.equal(false)
    }
    // a field named like a built-in never lands on the rebuilt error as one
    const rebuilt = rebuildError({ name: 'E', message: 'm', kind: 'invalid', fields: { __proto__: 'x', constructor: 'y' } as unknown as Record<string, string> })
    expect(Object.getPrototypeOf(rebuilt)).to.equal(Error.prototype)
  })

  it('should refuse a message of a type the receiver does not know, without echoing it at length', () => {
    const err = (() => { try { return assertNever({ type: 'x'.repeat(500) } as never) } catch (e) { return e as Error } })()
    expect(err).to.be.instanceOf(UnexpectedMessageError)
    expect(kindOf(err)).to.equal('invalid')
    expect(err.message.length).to.be.lessThan(120)
    expect(clip('abcdef', 4)).to.equal('abc…')
  })

  it('should cut between code points, never inside a surrogate pair (found by fuzzing: grpc-js could not send the half left, and the call was never answered)', () => {
    expect(clip(`${'x'.repeat(8)}😀y`, 10)).to.equal(`${'x'.repeat(8)}…`)
    expect(clip(`${'x'.repeat(7)}😀yy`, 10)).to.equal(`${'x'.repeat(7)}😀…`)
    expect(clipBytes('é'.repeat(10), 9)).to.equal('ééé…')
    expect(clipBytes(`ab${'😀'.repeat(3)}`, 10)).to.equal('ab😀…')
    expect(clipBytes('ok', 2)).to.equal('ok')
    // any text, any limit: within it, and well-formed when the text was
    const text = fc.string({ unit: 'binary', maxLength: 60 })
    fc.assert(fc.property(text, fc.nat({ max: 70 }), (s, max) => {
      const cut = clip(s, Math.max(1, max))
      expect(cut.length).to.be.at.most(Math.max(1, max))
      const bytes = clipBytes(s, max + 3)
      expect(Buffer.byteLength(bytes)).to.be.at.most(max + 3)
      if (s.isWellFormed()) expect(bytes.isWellFormed() && cut.isWellFormed()).to.equal(true)
      expect(s.startsWith(bytes.endsWith('…') && bytes !== s ? bytes.slice(0, -1) : bytes)).to.equal(true)
    }), { seed: 20261123, numRuns: 2000 })
  })

  it('should show any value from the wire in a refusal without throwing (found by fuzzing: a bigint, a map whose toString is not a function)', () => {
    expect(shown(2n ** 63n, 40)).to.equal('"9223372036854775808n"')
    expect(shown({ toString: 1 }, 40)).to.equal('{"toString":1}')
    expect(shown(Object.create(null) as unknown, 40)).to.equal('{}')
    expect(shown(undefined, 40)).to.equal('undefined')
    expect(shown('x'.repeat(100), 10)).to.have.length(10)
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(shown(cycle, 40)).to.equal('an object')
  })
})
