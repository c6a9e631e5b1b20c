// Unit tests of the header policy (lib/virtual-request/headers.ts): what the handshake gives every request of
// a socket, and what one request may add. Pure functions, no server.
import t from 'tap'
import { DENIED_REQUEST_HEADERS, baseHeaders, mergeRequestHeaders } from '../../lib/virtual-request/headers.js'
import { parseEnvelope } from '../../lib/virtual-request/envelope.js'
import { LIMITS } from '../../lib/common/limits.js'

const NONE: ReadonlySet<string> = new Set()

t.test('baseHeaders: the handshake\'s headers without those of the transport', async (t) => {
  const base = baseHeaders({
    host: '127.0.0.1:3000',
    'user-agent': 'ua',
    authorization: 'Bearer t',
    cookie: ['a=1', 'b=2'] as unknown as string,
    'x-multi': ['1', '2'] as unknown as string,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'content-length': '0',
    'transfer-encoding': 'chunked',
    'sec-websocket-key': 'k',
    'sec-websocket-version': '13',
    'sec-websocket-extensions': 'permessage-deflate',
    'sec-websocket-protocol': 'p'
  })
  t.same({ ...base }, { host: '127.0.0.1:3000', 'user-agent': 'ua', authorization: 'Bearer t', cookie: 'a=1; b=2', 'x-multi': '1, 2', 'accept-encoding': 'identity' },
    'framing and websocket headers are left out; repeated cookies join with ";", other repeated headers with ","; bodies come uncompressed')
  t.notOk('constructor' in base || 'toString' in base || '__proto__' in base, 'no inherited names')
  t.same({ ...baseHeaders({ 'x-none': undefined }) }, { 'accept-encoding': 'identity' }, 'a header without a value is left out')
  const perRequest = baseHeaders({
    'x-request-id': 'r',
    'x-correlation-id': 'c',
    traceparent: 't',
    tracestate: 's',
    'cache-control': 'no-cache',
    pragma: 'no-cache',
    'if-none-match': '"e"',
    'if-modified-since': 'd',
    range: 'bytes=0-1',
    'sec-fetch-site': 'same-origin',
    'accept-encoding': 'gzip',
    'x-kept': 'k'
  })
  t.same({ ...perRequest }, { 'x-kept': 'k', 'accept-encoding': 'identity' }, 'headers of one browser request are not copied from the handshake')
})

t.test('mergeRequestHeaders: what one request may add', async (t) => {
  const headers: Record<string, string> = { host: 'h' }
  t.equal(mergeRequestHeaders(headers, {}, { 'X-Custom': 'v', 'x-n': 7, 'x-b': false, 'x-null': null, 'x-undef': undefined }, false, NONE), undefined)
  t.same(headers, { host: 'h', 'x-custom': 'v', 'x-n': '7', 'x-b': 'false' },
    'names lower-cased; numbers and booleans as text; null and undefined skipped')
})

t.test('mergeRequestHeaders: denied headers never apply, whatever their case', async (t) => {
  const denied = ['Host', 'origin', 'Referer', 'forwarded', 'x-real-ip', 'X-Forwarded-For', 'x-forwarded-proto', 'x-forwarded-anything',
    'content-length', 'Content-Type', 'transfer-encoding', 'content-encoding', 'connection', 'keep-alive', 'upgrade',
    'te', 'trailer', 'expect', 'proxy-connection', 'http2-settings']
  for (const name of denied) {
    const headers: Record<string, string> = {}
    t.equal(mergeRequestHeaders(headers, {}, { [name]: 'forged' }, false, NONE), undefined, `${name}: not an error`)
    t.same(headers, {}, `${name}: not applied`)
  }
  for (const name of ['host', 'origin', 'referer', 'forwarded', 'x-real-ip', 'content-length', 'transfer-encoding', 'content-type']) {
    t.ok(DENIED_REQUEST_HEADERS.has(name), `${name} is in the denied list`)
  }
  const headers: Record<string, string> = {}
  t.match(mergeRequestHeaders(headers, {}, { ':authority': 'evil' }, false, NONE), /not a token/, 'a pseudo-header is not a header name')
  const envelope = parts(parseEnvelope('post', { url: '/x', data: { a: 1 }, headers: { 'content-type': 'text/plain', 'content-length': '1' } }, {}, false, NONE))
  t.equal(envelope.headers['content-type'], 'application/json', 'the plugin sets the content type of the body it serialises')
  t.equal(envelope.headers['content-length'], undefined, 'and no client-given length')
})

t.test('mergeRequestHeaders: a per-request cookie only when the handshake had none', async (t) => {
  const withCookie: Record<string, string> = { cookie: 'sid=handshake' }
  mergeRequestHeaders(withCookie, {}, { cookie: 'sid=forged' }, true, NONE)
  t.same(withCookie, { cookie: 'sid=handshake' }, 'the handshake cookie wins')
  const without: Record<string, string> = {}
  mergeRequestHeaders(without, {}, { Cookie: 'sid=mine' }, false, NONE)
  t.same(without, { cookie: 'sid=mine' }, 'without one, the request\'s applies (as in Sails)')
})

t.test('mergeRequestHeaders: malformed headers are refused with a reason', async (t) => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a name with a space', { 'x a': 'b' }, /header name 'x a' is not a token/],
    ['an empty name', { '': 'b' }, /header name '' is not a token/],
    ['a name with a colon', { 'x:a': 'b' }, /not a token/],
    ['a long bad name is cut', { [' '.repeat(200)]: 'b' }, new RegExp(`header name '${' '.repeat(64)}' is not a token`)],
    ['an object value', { 'x-a': { b: 1 } }, /header 'x-a' must be a string/],
    ['an array value', { 'x-a': ['1'] }, /must be a string/],
    ['CR LF in a value', { 'x-a': 'b\r\nset-cookie: c' }, /holds CR, LF or NUL/],
    ['LF in a value', { 'x-a': 'b\nc' }, /holds CR, LF or NUL/],
    ['NUL in a value', { 'x-a': 'b\u0000' }, /holds CR, LF or NUL/],
    ['a value past the limit', { 'x-a': 'v'.repeat(LIMITS.headerValueLength + 1) }, /longer than 8192/],
    ['too many headers', Object.fromEntries(Array.from({ length: LIMITS.headerCount + 1 }, (_, i) => [`x-${i}`, 'v'])), /more than 64 headers/]
  ]
  for (const [name, given, expected] of cases) t.match(mergeRequestHeaders({}, {}, given, false, NONE), expected, name)
  t.equal(mergeRequestHeaders({}, {}, { 'x-a': 'v'.repeat(LIMITS.headerValueLength) }, false, NONE), undefined, 'a value exactly at the limit passes')
  t.equal(mergeRequestHeaders({}, {}, Object.fromEntries(Array.from({ length: LIMITS.headerCount }, (_, i) => [`x-${i}`, 'v'])), false, NONE), undefined,
    'exactly the limit of headers passes')
  t.equal(mergeRequestHeaders({}, {}, { "!#$%&'*+-.^_`|~09azAZ": 'tab\tand unicode é' }, false, NONE), undefined, 'every token character, and a tab in a value')
})

function parts (result: ReturnType<typeof parseEnvelope>): Extract<ReturnType<typeof parseEnvelope>, { ok: true }>['parts'] {
  if (!result.ok) throw new Error(result.reason)
  return result.parts
}

t.test('mergeRequestHeaders: a header of the connection is replaced only when it is listed as replaceable', async (t) => {
  const base = { 'cf-connecting-ip': '203.0.113.7', authorization: 'Bearer connection' }
  const given = { 'CF-Connecting-IP': '10.0.0.1', authorization: 'Bearer request', 'x-new': 'n' }
  const kept: Record<string, string> = { ...base }
  t.equal(mergeRequestHeaders(kept, base, given, false, NONE), undefined)
  t.same(kept, { ...base, 'x-new': 'n' }, 'nothing the handshake set is replaced; a new header is added')
  const replaced: Record<string, string> = { ...base }
  mergeRequestHeaders(replaced, base, given, false, new Set(['authorization']))
  t.same(replaced, { 'cf-connecting-ip': '203.0.113.7', authorization: 'Bearer request', 'x-new': 'n' }, 'a listed header is replaced, the others kept')
})
