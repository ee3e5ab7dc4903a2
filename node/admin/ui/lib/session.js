// The admin token lives in this tab's sessionStorage only: never in a URL, a cookie or localStorage,
// so it goes when the tab closes and no other origin's script can read it.
const KEY = 'plexi-admin-token'

export function loadToken () {
  try {
    return sessionStorage.getItem(KEY) ?? ''
  } catch {
    return ''
  }
}

export function saveToken (token) {
  sessionStorage.setItem(KEY, token)
}

export function clearToken () {
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    // storage disabled: nothing was kept
  }
}
