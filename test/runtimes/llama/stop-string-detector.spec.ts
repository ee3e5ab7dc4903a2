import { expect } from 'chai'
import { StopStringDetector } from '../../../runtimes/llama/stop-string-detector.ts'

/** Feeds the pieces and returns what was shown and whether it stopped. */
function run (stops: string[], pieces: string[]): { shown: string, stopped: boolean } {
  const detector = new StopStringDetector(stops)
  let shown = ''
  for (const piece of pieces) {
    const out = detector.push(piece)
    shown += out.text
    if (out.stopped) return { shown, stopped: true }
  }
  return { shown: shown + detector.flush(), stopped: false }
}

describe('StopStringDetector', () => {
  it('should pass text through at once when there are no stop strings', () => {
    const detector = new StopStringDetector([])
    expect(detector.active).to.equal(false)
    expect(detector.push('abc')).to.deep.equal({ text: 'abc', stopped: false })
  })

  it('should cut the answer before a stop string that arrives split over pieces', () => {
    expect(run(['\n### Human'], ['Hello', '\n#', '## Hu', 'man: more'])).to.deep.equal({ shown: 'Hello', stopped: true })
  })

  it('should hold back only what could still start a stop string and release it when it does not', () => {
    const detector = new StopStringDetector(['<end>'])
    expect(detector.push('a <e')).to.deep.equal({ text: 'a ', stopped: false })
    expect(detector.push('x')).to.deep.equal({ text: '<ex', stopped: false })
    expect(detector.push('<')).to.deep.equal({ text: '', stopped: false })
    expect(detector.flush()).to.equal('<')
  })

  it('should stop at the earliest of several stop strings', () => {
    expect(run(['BB', 'A'], ['xxBBxA'])).to.deep.equal({ shown: 'xx', stopped: true })
  })

  it('should say which stop string it found, the first given of those found at the same place', () => {
    expect(new StopStringDetector(['BB', 'A']).push('xxBBxA')).to.deep.equal({ text: 'xx', stopped: true, stop: 'BB' })
    expect(new StopStringDetector(['||call: ', '||call:']).push('a ||call: b')).to.deep.equal({ text: 'a ', stopped: true, stop: '||call: ' })
    const split = new StopStringDetector(['||call: ', '||call:'])
    expect(split.push('a ||ca')).to.deep.equal({ text: 'a ', stopped: false })
    // the shorter opening is whole before the longer one can be
    expect(split.push('ll:')).to.deep.equal({ text: '', stopped: true, stop: '||call:' })
  })

  it('should ignore empty stop strings', () => {
    expect(run([''], ['abc'])).to.deep.equal({ shown: 'abc', stopped: false })
  })
})
