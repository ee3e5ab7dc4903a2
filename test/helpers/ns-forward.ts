/**
 * A byte forwarder run inside a NetLab's switch namespace (net-namespace.ts): it listens on a unix
 * socket (a path in the file system, which every network namespace reaches) and forwards each
 * connection to the TCP address its first line names (`10.77.0.3:41234\n`), then bytes both ways
 * untouched (gRPC's HTTP/2, HTTP, TLS alike). It prints `listening` once it is, and exits when its
 * stdin closes: it never outlives the test that started it.
 *
 * usage: node test/helpers/ns-forward.ts SOCKET_PATH
 */
import { connect, createServer } from 'node:net'
import type { Socket } from 'node:net'

/** The first line is an IPv4 address and a port, nothing else. */
const TARGET = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/
/** A first line longer than this is no target line. */
const MAX_LINE = 64

const path = process.argv[2]
if (path === undefined) {
  console.error('usage: ns-forward.ts SOCKET_PATH')
  process.exit(2)
}

function forward (client: Socket): void {
  let head = Buffer.alloc(0)
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk])
    const nl = head.indexOf(10)
    if (nl < 0) {
      if (head.length > MAX_LINE) client.destroy()
      return
    }
    client.off('data', onData)
    client.pause()
    const target = TARGET.exec(head.subarray(0, nl).toString('latin1'))
    if (target === null) {
      client.destroy()
      return
    }
    const rest = head.subarray(nl + 1)
    const upstream = connect(Number(target[2]), target[1] as string)
    upstream.setNoDelay(true)
    if (rest.length > 0) upstream.write(rest)
    client.pipe(upstream)
    upstream.pipe(client)
    client.resume()
    // either end going away takes the other with it
    upstream.on('error', () => { client.destroy() })
    client.on('error', () => { upstream.destroy() })
    upstream.on('close', () => { client.destroy() })
    client.on('close', () => { upstream.destroy() })
  }
  client.on('data', onData)
  client.on('error', () => undefined)
}

const server = createServer(forward)
server.listen(path, () => { console.log('listening') })
process.stdin.resume()
process.stdin.on('end', () => { process.exit(0) })
process.stdin.on('error', () => { process.exit(0) })
