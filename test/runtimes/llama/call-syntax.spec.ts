import { expect } from 'chai'
import { DeepSeekChatWrapper, GeneralChatWrapper, getLlama } from 'node-llama-cpp'
import type { Llama, LlamaModel } from 'node-llama-cpp'
import { CallSyntax } from '../../../runtimes/llama/call-syntax.ts'
import { model } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('CallSyntax', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let llama: Llama
  let loaded: LlamaModel

  before(async () => {
    dir = await tempDir()
    const tiny = await model(dir.path, 'tiny')
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never })
    loaded = await llama.loadModel({ modelPath: tiny.file })
  })

  after(async () => {
    await loaded?.dispose()
    await llama?.dispose()
    await dir?.remove()
  })

  const text = (tokens: readonly number[]): string => loaded.detokenize(tokens as never, true)

  it('should write the general wrapper\'s call as it renders one, and know its openings', () => {
    const syntax = new CallSyntax(new GeneralChatWrapper(), loaded)
    expect(syntax.optionalSpace).to.equal(true)
    expect(syntax.triggers).to.deep.equal(['||call: ', '||call:'])
    expect(text(syntax.openingTokens())).to.equal('||call: ')
    expect(text(syntax.callTokens('clock__now'))).to.equal('||call: clock__now(')
    expect(text(syntax.nameTokens('clock__now'))).to.equal('clock__now(')
    expect(text(syntax.paramsPrefixTokens('clock__now'))).to.equal('(')
    expect(text(syntax.tokenize('a ||call:'))).to.equal('a ||call:')
    expect(syntax.opens('Sure. ||call: ')).to.equal(true)
    expect(syntax.opens('||call:')).to.equal(true)
    expect(syntax.opens('||call')).to.equal(false)
  })

  it('should open a section of calls where the wrapper makes parallel calls, and see either opening', () => {
    const syntax = new CallSyntax(new DeepSeekChatWrapper({ functionCallingSyntax: 'original', parallelFunctionCalling: true }), loaded)
    const call = '<｜tool▁call▁begin｜>function<｜tool▁sep｜>'
    expect(syntax.triggers).to.deep.equal([`<｜tool▁calls▁begin｜>${call}`, call])
    expect(text(syntax.callTokens('calc__add'))).to.equal(`<｜tool▁calls▁begin｜>${call}calc__add\n\`\`\`json\n`)
  })

  it('should refuse a syntax with nothing between the name and the arguments', () => {
    const wrapper = new GeneralChatWrapper()
    const { functions } = wrapper.settings
    Object.assign(wrapper, { settings: { ...wrapper.settings, functions: { ...functions, call: { ...functions.call, paramsPrefix: '' } } } })
    expect(() => new CallSyntax(wrapper, loaded).paramsPrefixTokens('x')).to.throw(TypeError, /writes nothing between a tool's name and its arguments/)
  })
})
