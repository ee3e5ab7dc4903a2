/**
 * The moderation plugin's process: Plexi starts it in its data folder
 * (`<data-dir>/plugins-data/moderation/`) with the permissions its manifest asks: reading that
 * folder (its word list, `words.txt`) and writing its `counts` folder, nothing else. It answers
 * Plexi's requests (moderation-requests.ts) over stdio; it offers no tools.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { serve } from './mcp-stdio.ts'
import { MODERATION_CAPABILITY, moderationRequests } from './moderation-requests.ts'
import { PostCounts } from './post-counts.ts'
import { WordList } from './word-list.ts'

const manifest = JSON.parse(readFileSync(new URL('./plexi-plugin.json', import.meta.url), 'utf8')) as { name: string, version: string }
const folder = process.cwd()

serve({
  name: manifest.name,
  version: manifest.version,
  plexi: MODERATION_CAPABILITY,
  requests: moderationRequests({ words: new WordList(join(folder, 'words.txt')), counts: new PostCounts(join(folder, 'counts')) })
})
process.stderr.write(`moderation ${manifest.version} up in ${folder}\n`)
