import { expect } from 'chai'
import { clipText, toolResultOf } from '../../../node/plugins/tool-result-text.ts'
import { MAX_TOOL_RESULT_BYTES } from '../../../protocols/index.ts'

describe('tool result text', () => {
  it('should join text content and describe the rest', () => {
    const result = toolResultOf('c', 'p', {
      content: [
        { type: 'text', text: 'one' }, { type: 'image', mimeType: 'image/png', data: 'aGVsbG8h' }, { type: 'audio', mimeType: 'audio/wav', data: '' },
        { type: 'resource', resource: { uri: 'file:///a', text: 'inline' } }, { type: 'resource', resource: { uri: 'file:///b', blob: 'AA==' } },
        { type: 'resource_link', uri: 'file:///c', name: 'c' }, { type: 'weird' }, 7
      ]
    })
    expect(result).to.deep.equal({
      callId: 'c',
      isError: false,
      text: ['one', '[image image/png, 6 bytes]', '[audio audio/wav, 0 bytes]', 'inline', '[resource file:///b]', '[link file:///c (c)]', '[content of type weird]', '[content the tool sent that is not an MCP content item]'].join('\n\n')
    })
  })

  it('should keep the tool\'s own error flag, use structured content when there is no content, and refuse what is not a result', () => {
    expect(toolResultOf('c', 'p', { content: [{ type: 'text', text: 'no' }], isError: true })).to.deep.equal({ callId: 'c', isError: true, text: 'no' })
    expect(toolResultOf('c', 'p', { content: [], structuredContent: { n: 1 } }).text).to.equal('{"n":1}')
    expect(toolResultOf('c', 'p', 'x')).to.deep.equal({ callId: 'c', isError: true, text: 'p answered something that is not a tool result' })
    expect(toolResultOf('c', 'p', {})).to.deep.equal({ callId: 'c', isError: false, text: '' })
  })

  it('should cut a long result on a character boundary and say how much it cut', () => {
    const long = 'é'.repeat(MAX_TOOL_RESULT_BYTES)
    const text = toolResultOf('c', 'p', { content: [{ type: 'text', text: long }] }).text
    expect(Buffer.byteLength(text)).to.be.at.most(MAX_TOOL_RESULT_BYTES)
    expect(text).to.match(/^é+\n\[… \d+ more bytes cut\]$/)
    expect(clipText('short', 10)).to.equal('short')
  })
})
