import { expect } from 'chai'
import { PLEXI_METHODS } from '../../../protocols/plugins/index.ts'

describe('plexi extension', () => {
  it('should name its methods under plexi/, each once', () => {
    const methods = Object.values(PLEXI_METHODS)
    expect(methods).to.deep.equal(['plexi/command', 'plexi/before-post', 'plexi/after-post'])
    expect(new Set(methods).size).to.equal(methods.length)
  })
})
