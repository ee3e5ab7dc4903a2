import { expect } from 'chai'
import { MAX_TRACESTATE_LENGTH, carrierOfField, isTraceparent, isTracestate, traceFieldOf } from '../../protocols/index.ts'

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

describe('trace context (W3C traceparent and tracestate)', () => {
  it('should accept a version 00 traceparent, and a later version by its first 55 characters', () => {
    expect(isTraceparent(TP)).to.equal(true)
    expect(isTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'), 'not sampled, still well formed').to.equal(true)
    expect(isTraceparent('cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-comes-next')).to.equal(true)
  })

  it('should refuse malformed traceparents: version ff or 00 with more, zero ids, upper case, wrong lengths, non-strings, oversized', () => {
    for (const bad of [
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      `${TP}-extra`,
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01',
      TP.slice(0, 54),
      '',
      `cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-${'x'.repeat(1_000)}`,
      42, null, undefined, ['x'], { traceparent: TP }
    ]) expect(isTraceparent(bad), JSON.stringify(bad)?.slice(0, 80)).to.equal(false)
  })

  it('should carry a tracestate of printable ASCII up to its bound, and no more', () => {
    expect(isTracestate('vendor=a,other=b')).to.equal(true)
    expect(isTracestate('x'.repeat(MAX_TRACESTATE_LENGTH))).to.equal(true)
    expect(isTracestate('x'.repeat(MAX_TRACESTATE_LENGTH + 1))).to.equal(false)
    expect(isTracestate('a=\u0000')).to.equal(false)
    expect(isTracestate(7)).to.equal(false)
  })

  it('should put a carrier in a field and read it back; a field without a state is the traceparent alone', () => {
    expect(traceFieldOf({ traceparent: TP })).to.equal(TP)
    expect(traceFieldOf({ traceparent: TP, tracestate: '' })).to.equal(TP)
    expect(traceFieldOf({ traceparent: TP, tracestate: 'a=b' })).to.deep.equal([TP, 'a=b'])
    expect(carrierOfField(TP)).to.deep.equal({ traceparent: TP })
    expect(carrierOfField([TP, 'a=b'])).to.deep.equal({ traceparent: TP, tracestate: 'a=b' })
  })

  it('should ignore a malformed field (undefined), never throwing; a bad state loses only the state', () => {
    for (const bad of [undefined, null, 1, 'nope', [TP], [TP, 'a', 'b'], ['nope', 'a=b'], { traceparent: TP }, 'x'.repeat(5_000)]) {
      expect(carrierOfField(bad), JSON.stringify(bad)?.slice(0, 60)).to.equal(undefined)
    }
    expect(carrierOfField([TP, 'x'.repeat(MAX_TRACESTATE_LENGTH + 1)])).to.deep.equal({ traceparent: TP })
    expect(carrierOfField([TP, 5])).to.deep.equal({ traceparent: TP })
  })
})
