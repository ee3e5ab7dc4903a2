import { MODEL_NAME_PATTERN } from '../../runtimes/index.ts'
import { MAX_SOURCE } from './constants.ts'
import { ModelPullError } from './errors.ts'

/** Where a pull downloads from, and the name the model gets. */
export interface ModelSource {
  /** As the operator wrote it. */
  readonly source: string
  readonly url: string
  /** The model's name (its file is `<name>.gguf`): given, or the file's name without `.gguf`. */
  readonly name: string
}

const HF_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/
const PATH_PART = /^[A-Za-z0-9._+=@-][A-Za-z0-9._+=@ -]{0,199}$/

/**
 * Reads a pull's source: an `http(s)://…` URL of a GGUF file, or `hf:OWNER/REPO/PATH/FILE.gguf`
 * with an optional `#REVISION` (a branch, tag or commit; default main), the form node-llama-cpp and
 * llama.cpp use, downloaded from `hub` (`HUB/OWNER/REPO/resolve/REVISION/PATH/FILE.gguf`). The name
 * is `name` when given, else the file's name without `.gguf`. Throws ModelPullError (invalid) with
 * what to write instead.
 */
export function parseModelSource (source: unknown, hub: string, name?: unknown): ModelSource {
  if (typeof source !== 'string' || source.length === 0) throw invalid('source: expected a URL (https://…/FILE.gguf) or hf:OWNER/REPO/FILE.gguf')
  if (source.length > MAX_SOURCE) throw invalid(`source: at most ${MAX_SOURCE} characters`)
  const url = source.startsWith('hf:') ? hubUrl(source, hub) : httpUrl(source)
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '')
  let modelName: string
  if (name !== undefined) {
    if (typeof name !== 'string' || !MODEL_NAME_PATTERN.test(name)) throw invalid(`name: expected letters, digits, '.', '_' or '-' (at most 128, a letter or digit first), e.g. qwen2.5-0.5b-instruct`)
    modelName = name
  } else {
    if (!file.toLowerCase().endsWith('.gguf')) throw invalid(`the file ${JSON.stringify(file.slice(0, 100))} does not end in .gguf: give the model a name (--name NAME) if it is a GGUF file all the same`)
    modelName = file.slice(0, -'.gguf'.length)
    if (!MODEL_NAME_PATTERN.test(modelName)) throw invalid(`the file's name ${JSON.stringify(modelName.slice(0, 100))} cannot be a model's name: give one (--name NAME: letters, digits, '.', '_' or '-')`)
  }
  return { source, url, name: modelName }
}

function hubUrl (source: string, hub: string): string {
  const [path = '', revision, ...more] = source.slice('hf:'.length).split('#')
  const parts = path.split('/')
  if (more.length > 0 || parts.length < 3 || parts.some((p) => p.length === 0)) {
    throw invalid('source: expected hf:OWNER/REPO/FILE.gguf (the file\'s path in the repository, with #REVISION for a branch, tag or commit), e.g. hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf')
  }
  const [owner = '', repo = '', ...file] = parts
  if (!HF_PART.test(owner) || !HF_PART.test(repo)) throw invalid('source: OWNER and REPO of hf:OWNER/REPO/FILE.gguf are letters, digits, \'.\', \'_\' and \'-\'')
  if (file.some((p) => !PATH_PART.test(p) || p === '.' || p === '..')) throw invalid('source: the file\'s path in hf:OWNER/REPO/FILE.gguf has a part that cannot be a file name')
  if (revision !== undefined && !HF_PART.test(revision)) throw invalid('source: #REVISION is a branch, tag or commit (letters, digits, \'.\', \'_\' and \'-\')')
  const base = hub.replace(/\/+$/, '')
  return `${base}/${owner}/${repo}/resolve/${encodeURIComponent(revision ?? 'main')}/${file.map(encodeURIComponent).join('/')}`
}

function httpUrl (source: string): string {
  let url: URL
  try {
    url = new URL(source)
  } catch {
    throw invalid('source: expected a URL (https://…/FILE.gguf) or hf:OWNER/REPO/FILE.gguf')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`source: expected an http or https URL, or hf:OWNER/REPO/FILE.gguf (got ${url.protocol.slice(0, 20)})`)
  if (url.username !== '' || url.password !== '') throw invalid('source: a URL with a user or password in it would be kept in the job list and logs; serve the file without one')
  return url.href
}

function invalid (message: string): ModelPullError {
  return new ModelPullError(message, 'invalid')
}
