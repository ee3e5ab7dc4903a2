// htm bound to Preact's h: tagged templates instead of JSX, so the browser runs these files as they
// are. htm puts every interpolated value in as text (never as markup): the page never sets innerHTML.
import { h } from 'preact'
import htm from 'htm'

export const html = htm.bind(h)
