/**
 * XSS payloads from the common lists (OWASP's XSS Filter Evasion Cheat Sheet, PortSwigger's XSS cheat
 * sheet, DOMPurify's mXSS reports), each setting `window.__xss` to its own number should it ever run.
 * Some are HTML, some Markdown (links, images), as a user or a model might write them.
 */
export const XSS_PAYLOADS: readonly string[] = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=2">',
  '<svg onload=window.__xss=3>',
  '<iframe srcdoc="<script>parent.__xss=4</script>"></iframe>',
  '<a href="javascript:window.__xss=5">click</a>',
  '[click](javascript:window.__xss=6)',
  '[click](JaVaScRiPt:window.__xss=7)',
  '[click](&#106;avascript:window.__xss=8)',
  '[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9OTwvc2NyaXB0Pg==)',
  '"><img src=x onerror=window.__xss=10>',
  '![x](x" onerror="window.__xss=11)',
  '<body onload=window.__xss=12>',
  '<details open ontoggle=window.__xss=13>',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=14>',
  '<IMG SRC=JaVaScRiPt:window.__xss=15>',
  '<object data="javascript:window.__xss=16"></object>',
  '<embed src="data:text/html,<script>parent.__xss=17</script>">',
  '<input autofocus onfocus=window.__xss=18>',
  '<form action="javascript:window.__xss=19"><button>go</button></form>',
  '<video><source onerror="window.__xss=20"></video>',
  '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=21">',
  '<a href="  &#x6A;avascript:window.__xss=22">x</a>',
  '[x](vbscript:window.__xss=23)',
  '<style>@import "javascript:window.__xss=24";</style>',
  '`code` and <b onmouseover=window.__xss=25>bold</b> **strong**'
]
