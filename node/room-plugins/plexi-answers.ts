import { MAX_CHAT_TEXT_BYTES, PLEXI_METHODS, clip } from '../../protocols/index.ts'
import { MAX_REFUSAL_REASON } from '../../actors/index.ts'
import type { PlexiMethod, PlexiRequests } from '../../actors/index.ts'
import { PluginAnswerError } from './errors.ts'

/**
 * A plugin's answer to one of Plexi's requests, checked against the protocol (it comes from the
 * plugin's process): a command's `text` a string within MAX_CHAT_TEXT_BYTES; a before-post verdict
 * `allow`, or `refuse` with a reason (cut to MAX_REFUSAL_REASON characters; an empty one says so);
 * an after-post answer anything (it acknowledges). Fields the protocol does not name are dropped.
 * Throws PluginAnswerError saying what was wrong.
 */
export function checkPlexiAnswer<K extends PlexiMethod> (plugin: string, method: K, answer: unknown): PlexiRequests[K]['result'] {
  const fields: Record<string, unknown> = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? answer as Record<string, unknown> : {}
  switch (method) {
    case PLEXI_METHODS.command: {
      const text = fields.text
      if (typeof text !== 'string') throw new PluginAnswerError(plugin, method, 'no text (a string)')
      const bytes = Buffer.byteLength(text, 'utf8')
      if (bytes > MAX_CHAT_TEXT_BYTES) throw new PluginAnswerError(plugin, method, `${bytes} bytes of text, over the limit of ${MAX_CHAT_TEXT_BYTES}`)
      return { text } as PlexiRequests[K]['result']
    }
    case PLEXI_METHODS.beforePost: {
      if (fields.verdict === 'allow') return { verdict: 'allow' } as PlexiRequests[K]['result']
      if (fields.verdict !== 'refuse') throw new PluginAnswerError(plugin, method, 'no verdict (allow or refuse)')
      const reason = typeof fields.reason === 'string' && fields.reason.trim().length > 0 ? clip(fields.reason.trim(), MAX_REFUSAL_REASON) : 'no reason given'
      return { verdict: 'refuse', reason } as PlexiRequests[K]['result']
    }
    case PLEXI_METHODS.afterPost:
      return {} as PlexiRequests[K]['result']
    default:
      throw new PluginAnswerError(plugin, method, 'an answer to a method Plexi does not send')
  }
}
