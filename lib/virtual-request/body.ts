// What the body of an answer becomes in a JWR, by its content type: JSON is parsed, text is decoded with
// its declared charset, anything else is handed over as the very bytes HTTP would send (socket.io carries
// a Buffer as a binary attachment: a Buffer in Node clients, an ArrayBuffer in browsers). Pure functions.

/** The body of an answer as the response collected it: strings are UTF-8 text, Buffers are bytes. */
export type Chunks = ReadonlyArray<string | Buffer>

/** A body as the JWR carries it, and its size in bytes as HTTP would send it. */
export interface DecodedBody {
  body: unknown
  bytes: number
  /** The JSON text `body` was parsed from, when it came as one string (what the ack encoder may splice). */
  json?: string
}

type Kind = 'json' | 'text' | 'binary'

// Types whose bodies are text whatever their charset says; `+json`/`+xml` suffixes are handled below.
const TEXT_TYPES: ReadonlySet<string> = new Set([
  'application/javascript', 'application/ecmascript', 'application/x-javascript', 'application/xml',
  'application/x-www-form-urlencoded', 'application/graphql', 'application/yaml', 'application/x-yaml',
  'application/x-ndjson', 'application/json-seq', 'application/jsonl', 'application/sql', 'application/csv'
])

const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i

/**
 * How a content type's body is given to the socket. No content type is bytes: RFC 9110 lets a recipient
 * assume `application/octet-stream`. A `charset` parameter makes any type text.
 */
function kindOf (type: string): { kind: Kind, charset: string | undefined } {
  const semi = type.indexOf(';')
  const media = (semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase()
  const match = semi === -1 ? null : CHARSET.exec(type)
  const charset = match === null ? undefined : (match[1] ?? match[2] ?? '').toLowerCase()
  if (media === 'application/json' || media.endsWith('+json')) return { kind: 'json', charset }
  if (media.startsWith('text/') || media.endsWith('+xml') || TEXT_TYPES.has(media) || charset !== undefined) return { kind: 'text', charset }
  return { kind: 'binary', charset }
}

// An app answers with a handful of content types: each is parsed once.
const kinds = new Map<string, { kind: Kind, charset: string | undefined }>()
function cachedKindOf (type: string): { kind: Kind, charset: string | undefined } {
  let found = kinds.get(type)
  if (found === undefined) {
    found = kindOf(type)
    if (kinds.size < 256) kinds.set(type, found)
  }
  return found
}

function isUtf8 (charset: string | undefined): boolean {
  return charset === undefined || charset === 'utf-8' || charset === 'utf8'
}

function bytesOf (chunks: Chunks): Buffer {
  if (chunks.length === 1 && Buffer.isBuffer(chunks[0])) return chunks[0]
  return Buffer.concat(chunks.map((c) => typeof c === 'string' ? Buffer.from(c, 'utf8') : c))
}

// One decoder per charset label, made on first use (TextDecoder is stateless between decode() calls).
const decoders = new Map<string, TextDecoder | null>()
function decoderFor (charset: string): TextDecoder | null {
  let decoder = decoders.get(charset)
  if (decoder === undefined) {
    try { decoder = new TextDecoder(charset) } catch { decoder = null }
    // labels come from the app's own content types, but keep the cache bounded anyway
    if (decoders.size < 64) decoders.set(charset, decoder)
  }
  return decoder
}

// JSON.parse's own failure, told apart from any value the text could hold
const NOT_JSON: unique symbol = Symbol('not json')
function parseJson (text: string): unknown {
  try { return JSON.parse(text) } catch { return NOT_JSON }
}

// A JSON text with a lone surrogate parses, but spliced as is it would reach the client as U+FFFD, where
// JSON.stringify sends it escaped: such a text is not offered for splicing.
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed: () => boolean }).isWellFormed()

/**
 * The JWR body of an answer of content type `type` (`undefined`: none) made of `chunks`.
 * No bytes at all (HEAD, 204, 304, an empty reply): `body` is `undefined`, as Sails gives it.
 * `knownBytes` is the content-length the answer declared, trusted only on the path that cannot differ from it.
 */
export function decodeBody (type: string | undefined, chunks: Chunks, knownBytes: number | undefined): DecodedBody {
  if (chunks.length === 0) return { body: undefined, bytes: 0 }
  const { kind, charset } = type === undefined ? { kind: 'binary' as const, charset: undefined } : cachedKindOf(type)
  const first = chunks[0] as string | Buffer

  // The common case, Fastify's serializer: one string, UTF-8. No copy, no re-encoding.
  if (kind !== 'binary' && chunks.length === 1 && typeof first === 'string' && isUtf8(charset)) {
    if (first.length === 0) return { body: undefined, bytes: 0 }
    const bytes = knownBytes ?? Buffer.byteLength(first)
    if (kind !== 'json') return { body: first, bytes }
    const body = parseJson(first)
    if (body === NOT_JSON) return { body: first, bytes }
    return isWellFormed(first) ? { body, bytes, json: first } : { body, bytes }
  }

  const bytes = bytesOf(chunks)
  if (bytes.length === 0) return { body: undefined, bytes: 0 }
  if (kind === 'binary') return { body: bytes, bytes: bytes.length }
  // Text: the bytes decoded as their charset says (invalid sequences become U+FFFD, as in a browser).
  // A charset Node cannot decode keeps the bytes intact rather than guessing.
  const decoder = decoderFor(isUtf8(charset) ? 'utf-8' : charset as string)
  if (decoder === null) return { body: bytes, bytes: bytes.length }
  const text = decoder.decode(bytes)
  if (kind !== 'json') return { body: text, bytes: bytes.length }
  const body = parseJson(text)
  return { body: body === NOT_JSON ? text : body, bytes: bytes.length }
}
