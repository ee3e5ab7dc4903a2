import { adminFuzz } from './admin-fuzz.ts'
import { configFuzz } from './config-fuzz.ts'
import { entityFuzz } from './entity-fuzz.ts'
import { frameFuzz } from './frame-fuzz.ts'
import { garbagePeerFuzz } from './garbage-peer.ts'
import { ggufFuzz } from './gguf-fuzz.ts'
import { grpcFuzz } from './grpc-fuzz.ts'
import { openAiFuzz } from './openai-fuzz.ts'
import { peerMessageFuzz } from './peer-message-fuzz.ts'
import type { FuzzTarget } from './fuzz-target.ts'

/** Every entry point fuzzed, in the order `npm run fuzz` runs them. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  frameFuzz,
  peerMessageFuzz,
  entityFuzz,
  grpcFuzz,
  adminFuzz,
  openAiFuzz,
  ggufFuzz,
  configFuzz,
  garbagePeerFuzz
]
