// Agent answers as Markdown (marked), made safe by a kept sanitizer (DOMPurify) before they reach
// the page: raw HTML in an answer is shown as text (marked's html tokens are escaped), and what
// marked makes is then cut down to a few formatting elements, links to http(s) and mailto only, and
// no attribute that can run anything. Only agent answers take this path: users' posts stay text.
import { Marked } from 'marked'
import DOMPurify from 'dompurify'

/** What Markdown makes that the page keeps; everything else goes (its text stays). */
const ALLOWED_TAGS = ['p', 'br', 'em', 'strong', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td']
const ALLOWED_ATTR = ['href', 'title', 'start', 'align']
/** Links an answer may hold: web pages and mail; never javascript:, data:, vbscript:, blob: or relative. */
const ALLOWED_URI_REGEXP = /^(?:https?:\/\/|mailto:)/i

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escape = (text) => text.replace(/[&<>"']/g, (c) => escapes[c])

const markdown = new Marked({ gfm: true, breaks: true, async: false }, {
  renderer: {
    // raw HTML in an answer is text: a model repeating a payload shows it, never runs it
    html: ({ text }) => escape(text),
    // an image would be fetched from wherever the answer says: its text and address as a link instead
    image: ({ href, text }) => `<a href="${escape(href ?? '')}">${escape(text || href || 'image')}</a>`
  }
})

const purify = DOMPurify(window)
purify.addHook('afterSanitizeAttributes', (node) => {
  // a link leaves the page in a new tab, telling the other side nothing of it
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer nofollow')
  }
})

/** `text` (Markdown) as sanitized nodes to put in the page. */
export function markdownFragment (text) {
  const made = markdown.parse(String(text ?? ''))
  return purify.sanitize(made, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOWED_URI_REGEXP, RETURN_DOM_FRAGMENT: true })
}
