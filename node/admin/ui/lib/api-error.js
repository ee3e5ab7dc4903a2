// An error answered by the admin API: its documented shape { statusCode, code, error, message },
// or one made here when no such answer came (the node down, a reply that is not JSON).
export class ApiError extends Error {
  constructor ({ statusCode, code, error, message }, retryAfterS = undefined) {
    super(message)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.code = code
    this.error = error
    this.retryAfterS = retryAfterS
  }
}

/** The error of a response that is not ok, read from its body when it has the API's shape. */
export async function errorOf (res) {
  const retry = Number(res.headers.get('retry-after'))
  const retryAfterS = Number.isFinite(retry) && retry > 0 ? retry : undefined
  let body
  try {
    body = await res.json()
  } catch {
    body = undefined
  }
  if (body !== null && typeof body === 'object' && typeof body.message === 'string') {
    return new ApiError({ statusCode: res.status, code: String(body.code ?? 'ERROR'), error: String(body.error ?? res.statusText), message: body.message }, retryAfterS)
  }
  return new ApiError({ statusCode: res.status, code: 'HTTP_' + res.status, error: res.statusText, message: `the node answered ${res.status} ${res.statusText}` }, retryAfterS)
}

/** A fetch that failed before any answer: the node is down or unreachable. */
export function networkError (err) {
  return new ApiError({ statusCode: 0, code: 'NETWORK', error: 'No answer', message: `the node did not answer (${err?.message ?? err}); is it running?` })
}

/** What the user reads for an error: the API's message, and its status and code. */
export function describeError (err) {
  if (err instanceof ApiError) return { text: err.message, detail: err.statusCode === 0 ? err.code : `${err.statusCode} ${err.code}` }
  return { text: String(err?.message ?? err), detail: '' }
}
