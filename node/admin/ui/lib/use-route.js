// Hash routing: #/cluster, #/actors, ... The hash never carries the token or anything secret.
import { useEffect, useState } from 'preact/hooks'

export function currentRoute (fallback) {
  const name = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return name === '' ? fallback : name
}

export function useRoute (fallback) {
  const [route, setRoute] = useState(() => currentRoute(fallback))
  useEffect(() => {
    const changed = () => { setRoute(currentRoute(fallback)) }
    window.addEventListener('hashchange', changed)
    return () => { window.removeEventListener('hashchange', changed) }
  }, [fallback])
  return route
}
