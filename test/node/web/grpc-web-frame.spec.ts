import { expect } from 'chai'
import { decodeText, messageFrame, percentEncoded, requestMessage, trailerFrame } from '../../../node/web/index.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('grpc-web-frame', () => {
  it('should frame a message with flag 0 and its big-endian length, and take exactly that back as a request', () => {
    const frame = messageFrame(Buffer.from('abc'))
    expect([...frame]).to.deep.equal([0, 0, 0, 0, 3, 0x61, 0x62, 0x63])
    expect(requestMessage(frame).toString()).to.equal('abc')
    expect(requestMessage(messageFrame(Buffer.alloc(0))).length).to.equal(0)
  })

  it('should write trailers as a 0x80 frame of header lines, and percent-encode a message as grpc-message carries it', () => {
    const frame = trailerFrame([['grpc-status', '3'], ['grpc-message', percentEncoded('room: 50% "é"')]])
    expect(frame[0]).to.equal(0x80)
    expect(frame.readUInt32BE(1)).to.equal(frame.length - 5)
    expect(frame.subarray(5).toString('latin1')).to.equal('grpc-status:3\r\ngrpc-message:room: 50%25 "%C3%A9"\r\n')
    expect(decodeURIComponent(percentEncoded('line\r\nbreak ✓'))).to.equal('line\r\nbreak ✓')
  })

  it('should refuse a body that is not one uncompressed message frame, saying what is wrong', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from([0, 0, 0]), /5-byte header, got 3 bytes/],
      [Buffer.from([0, 0, 0, 0, 2, 1]), /the frame says 2 bytes of message, the body has 1/],
      [Buffer.concat([messageFrame(Buffer.from('a')), messageFrame(Buffer.from('b'))]), /the frame says 1 bytes of message, the body has 7 .*one message per call/],
      [Buffer.from([0x80, 0, 0, 0, 0]), /flag 0x80 is the server's trailers/],
      [Buffer.from([1, 0, 0, 0, 0]), /compressed messages are not taken/],
      [Buffer.from([4, 0, 0, 0, 0]), /unknown frame flag 0x4/]
    ]
    for (const [body, message] of cases) {
      const err = thrown(() => requestMessage(body))
      expect(err, String(message)).to.have.property('name', 'InvalidRequestError')
      expect((err as Error).message).to.match(message)
    }
  })

  it('should decode padded base64 strictly, each padded chunk on its own, and refuse what is not base64', () => {
    const frame = messageFrame(Buffer.from('hello'))
    expect(decodeText(Buffer.from(frame.toString('base64'))).equals(frame)).to.equal(true)
    const chunked = Buffer.from(frame.subarray(0, 4).toString('base64') + frame.subarray(4).toString('base64'))
    expect(chunked.toString()).to.match(/=.+/)
    expect(decodeText(chunked).equals(frame)).to.equal(true)
    expect(decodeText(Buffer.from(`${frame.toString('base64')}\r\n`)).equals(frame)).to.equal(true)
    for (const bad of ['AAA', 'AA$A', 'A===', 'AAAAA']) expect(thrown(() => decodeText(Buffer.from(bad))), bad).to.have.property('name', 'InvalidRequestError')
  })
})
