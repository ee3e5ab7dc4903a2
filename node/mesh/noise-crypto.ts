import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'

/** Below this, noise's default (WebAssembly ChaCha20-Poly1305) is faster than node:crypto even
 * with a cached key (measured here: 600 B 9.9 vs 10.5 µs, 1200 B 17.7 vs 12.0 µs). */
const NODE_CRYPTO_FROM_BYTES = 700
const ALGORITHM = 'chacha20-poly1305'
const TAG_BYTES = 16

/** One KeyObject per session key: noise passes the same key bytes for every message of a
 * session, and importing a raw key costs node:crypto about 3x the encryption of a 12 KB frame
 * (40 µs against 11 µs, measured here; docs/performance.md, Mesh). */
const keys = new WeakMap<Uint8Array, { readonly bytes: Uint8Array, readonly key: KeyObject }>()

function keyOf (k: Uint8Array): KeyObject {
  const cached = keys.get(k)
  // the bytes are compared too: a key array rewritten in place must not reuse the old key
  if (cached !== undefined && Buffer.compare(cached.bytes, k) === 0) return cached.key
  const entry = { bytes: Uint8Array.from(k), key: createSecretKey(k) }
  keys.set(k, entry)
  return entry.key
}

/**
 * Noise's default crypto with ChaCha20-Poly1305 of larger messages (actor frames) done by
 * node:crypto on a cached KeyObject. Same algorithm, same bytes on the wire: it talks to any noise peer.
 */
export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    if (plaintext.byteLength < NODE_CRYPTO_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    // yamux hands over a list (frame header + data): one copy costs far less than a key import
    if (!(plaintext instanceof Uint8Array)) plaintext = plaintext.subarray()
    const cipher = createCipheriv(ALGORITHM, keyOf(k), nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
    const updated = cipher.update(plaintext)
    const final = cipher.final()
    const tag = cipher.getAuthTag()
    return Buffer.concat([updated, final, tag], updated.byteLength + final.byteLength + tag.byteLength)
  },
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
    if (ciphertext.byteLength < NODE_CRYPTO_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    if (!(ciphertext instanceof Uint8Array)) ciphertext = ciphertext.subarray()
    const decipher = createDecipheriv(ALGORITHM, keyOf(k), nonce, { authTagLength: TAG_BYTES })
    const text = ciphertext.subarray(0, ciphertext.byteLength - TAG_BYTES)
    decipher.setAAD(ad, { plaintextLength: text.byteLength })
    decipher.setAuthTag(ciphertext.subarray(ciphertext.byteLength - TAG_BYTES))
    const output = decipher.update(text)
    const final = decipher.final()
    return final.byteLength > 0 ? Buffer.concat([output, final], output.byteLength + final.byteLength) : output
  }
}
