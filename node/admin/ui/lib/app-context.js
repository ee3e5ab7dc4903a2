// What every view is given: the API client, the cluster as last seen, and the job tracker.
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'

export const AppContext = createContext(null)

export function useApp () {
  const app = useContext(AppContext)
  if (app === null) throw new Error('useApp outside of the signed-in app')
  return app
}
