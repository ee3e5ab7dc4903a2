/**
 * The browser's own floor under the chat page's post -> shown (`npm run bench -- web`, page part):
 * a bare node:http server and a page of a few lines doing what the chat page does with none of
 * Plexi in the path: a form whose submit sends the text with one `fetch` POST, and a `fetch` of a
 * chunked stream that the server writes each posted text to at once, each line drawn as a row. The
 * same Chromium, the same two contexts, the same probe and stamps as the chat page's figure; the
 * server stores nothing (the node's store and fan-out are in gRPC's own figure beside it).
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The page: the chat page's ids, labels and row classes, so the bench's probe and stamps read it alike. */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>floor</title></head>
<body>
<main class="room"><p class="state">connecting</p>
<ul class="messages"></ul>
<form id="composer"><label for="composer-text">Message</label><input id="composer-text"><button type="submit">Send</button></form>
</main>
<script type="module">
const list = document.querySelector('.messages')
const state = document.querySelector('.state')
const res = await fetch('/stream', { cache: 'no-store' })
const reader = res.body.getReader()
const text = new TextDecoder()
state.className = 'state live'
state.textContent = 'live'
document.getElementById('composer').addEventListener('submit', (event) => {
  event.preventDefault()
  const input = document.getElementById('composer-text')
  void fetch('/post', { method: 'POST', body: input.value, cache: 'no-store' })
  input.value = ''
})
let buffered = ''
for (;;) {
  const { done, value } = await reader.read()
  if (done) break
  buffered += text.decode(value, { stream: true })
  for (let end = buffered.indexOf('\\n'); end >= 0; end = buffered.indexOf('\\n')) {
    const line = buffered.slice(0, end)
    buffered = buffered.slice(end + 1)
    if (line === '') continue
    const row = document.createElement('li')
    row.className = 'message'
    const span = document.createElement('span')
    span.className = 'text'
    span.textContent = line
    row.append(span)
    list.append(row)
  }
}
</script>
</body></html>`

/** The floor's server: `url` serves the page; stop() closes it and its streams. */
export async function startFloor (): Promise<{ url: string, stop: () => Promise<void> }> {
  const streams = new Set<ServerResponse>()
  const server = createServer({ noDelay: true }, (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE)
    } else if (req.method === 'GET' && req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      res.write('\n')
      streams.add(res)
      res.on('close', () => { streams.delete(res) })
    } else if (req.method === 'POST' && req.url === '/post') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => { if (chunks.length < 16) chunks.push(c) })
      req.on('end', () => {
        const line = Buffer.concat(chunks).toString('utf8').replace(/\n/g, ' ').slice(0, 1000)
        for (const s of streams) s.write(`${line}\n`)
        res.writeHead(204).end()
      })
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stop: async () => {
      for (const s of streams) s.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
