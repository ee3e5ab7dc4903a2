import { expect } from 'chai'
import fc from 'fast-check'
import { assertPlainData, createPlainCodec } from '../../../actors/index.ts'

describe('plain data', () => {
  const codec = createPlainCodec()

  it('should accept JSON-like values with binary and undefined, and msgpackr should round-trip them', () => {
    const value = { a: 1, b: -0.5, c: 'ü', d: null, e: true, f: [1, [2, { g: 3 }]], h: new Uint8Array([0, 255]), i: undefined, j: Number.NaN }
    assertPlainData(value)
    const back = codec.decode(codec.encode(value)) as typeof value
    expect({ ...back, h: [...back.h] }).to.deep.equal({ ...value, h: [0, 255] })
    expect(Object.getPrototypeOf(Object.create(null))).to.equal(null)
    assertPlainData(Object.assign(Object.create(null), { x: 1 }))
  })

  it('should round-trip arbitrary JSON values unchanged (up to -0, which JSON has no form for either)', () => {
    fc.assert(fc.property(fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"')), (value) => {
      assertPlainData(value)
      expect(codec.decode(codec.encode(value))).to.deep.equal(withoutNegativeZero(value))
    }), { numRuns: 200, seed: 20261122 })
  })

  it('should turn -0 into 0, the one normalization of plain data', () => {
    expect(Object.is(codec.decode(codec.encode(-0)), 0)).to.equal(true)
    expect(Object.is(codec.decode(codec.encode(-0.5)), -0.5)).to.equal(true)
  })

  it('should name the path of what is not plain data', () => {
    class Point { x = 1 }
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const cases: Array<[unknown, RegExp]> = [
      [{ a: new Map() }, /value.a is not plain data: found an instance of Map/],
      [{ a: [1, new Set()] }, /value.a\[1\] .*Set/],
      [{ when: new Date() }, /value.when .*Date/],
      [{ p: new Point() }, /value.p .*Point/],
      [{ f: () => 1 }, /value.f .*function/],
      [{ n: 10n }, /value.n .*bigint/],
      [{ s: Symbol('s') }, /value.s .*symbol/],
      [{ [Symbol('k')]: 1 }, /symbol key/],
      [cyclic, /value.self .*a cycle/],
      [JSON.parse('{"ok": {"__proto__": 1}}'), /value.ok.__proto__ is not plain data: found a key named __proto__/]
    ]
    for (const [value, message] of cases) expect(() => assertPlainData(value), String(message)).to.throw(message).with.property('name', 'NotSerializableError')
  })

  it('should allow the same object twice when it is not a cycle', () => {
    const shared = { x: 1 }
    assertPlainData({ a: shared, b: shared, c: [shared, shared] })
  })
})

function withoutNegativeZero (value: unknown): unknown {
  if (Object.is(value, -0)) return 0
  if (Array.isArray(value)) return value.map(withoutNegativeZero)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]))
  }
  return value
}
