import type { FastifyInstance } from 'fastify'

/** The page's Content-Security-Policy: nothing loads, runs, frames it or is posted from it (the
 * placeholder has no script, style or image; the chat page will name what it needs). */
export const PAGE_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The placeholder at `/` until the chat page comes (issue 42): what this listener serves now. */
export function placeholderPage (paths: readonly string[]): string {
  const items = paths.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('\n')
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Plexi</title></head>
<body>
<h1>Plexi</h1>
<p>The chat page is coming. This address already serves gRPC-Web for browsers (application/grpc-web+proto and application/grpc-web-text, the token in <code>authorization: Bearer</code>):</p>
<ul>
${items}
</ul>
</body>
</html>
`
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** `GET /`: the page, with a strict CSP and nothing a browser may sniff, frame or cache as other. */
export function pageRoutes (paths: readonly string[]): (app: FastifyInstance) => Promise<void> {
  const page = placeholderPage(paths)
  return async (app) => {
    app.get('/', async (_request, reply) => await reply
      .header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page))
  }
}
