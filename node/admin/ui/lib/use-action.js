// An action the user starts (a button, a form): busy while it runs, its error kept to be shown.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export function useAction () {
  const [state, setState] = useState({ busy: false, error: undefined })
  const mounted = useRef(true)
  useEffect(() => () => { mounted.current = false }, [])
  const run = useCallback(async (fn) => {
    setState({ busy: true, error: undefined })
    try {
      const result = await fn()
      if (mounted.current) setState({ busy: false, error: undefined })
      return result
    } catch (error) {
      if (mounted.current) setState({ busy: false, error })
      return undefined
    }
  }, [])
  const clear = useCallback(() => { setState((s) => ({ ...s, error: undefined })) }, [])
  return { ...state, run, clear }
}
