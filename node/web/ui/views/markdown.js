// An agent's answer shown as sanitized Markdown (lib/markdown.js): the nodes it makes replace the
// element's children whenever the text changes (an answer growing as it streams).
import { useLayoutEffect, useRef } from 'preact/hooks'
import { html } from '../lib/html.js'
import { markdownFragment } from '../lib/markdown.js'

export function Markdown ({ text, className = '' }) {
  const box = useRef(null)
  useLayoutEffect(() => { box.current?.replaceChildren(markdownFragment(text)) }, [text])
  return html`<div class=${`markdown ${className}`.trim()} ref=${box}></div>`
}
