// Unit tests of the sails.io.js envelope parser (lib/virtual-request/envelope.ts): pure functions, no server.
import t from 'tap'
import { VERBS, parseEnvelope, findUnsafeKey, checkSdkVersion, type ParseResult, type RequestParts } from '../../lib/virtual-request/envelope.js'
import { LIMITS } from '../../lib/common/limits.js'

const NONE: ReadonlySet<string> = new Set()
const BASE = Object.freeze({ host: '127.0.0.1:3000', 'user-agent': 'test' })

function parts (result: ParseResult): RequestParts {
  if (!result.ok) throw new Error(`expected a valid envelope, refused: ${result.reason}`)
  return result.parts
}

function reason (result: ParseResult): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.parts)}`)
  return result.reason
}

t.test('the seven verbs sails.io.js sends', async (t) => {
  t.same([...VERBS], ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'])
})

t.test('a valid envelope becomes request parts', async (t) => {
  t.same(parts(parseEnvelope('get', { method: 'get', url: '/user', headers: {} }, BASE, false, NONE)),
    { method: 'GET', url: '/user', headers: { ...BASE }, payload: undefined, parsed: undefined, bytes: undefined }, 'a GET: upper-case method, base headers, no body')
  t.same(parts(parseEnvelope('get', { url: '/user' }, BASE, false, NONE)).method, 'GET', 'method may be left out: the event names it')
  t.same(parts(parseEnvelope('delete', { method: 'DELETE', url: '/user/1' }, BASE, false, NONE)).method, 'DELETE', 'method in any case, when it matches the event')
  for (const verb of VERBS) {
    t.equal(parts(parseEnvelope(verb, { method: verb, url: '/x' }, BASE, false, NONE)).method, verb.toUpperCase(), `${verb} is accepted`)
  }
  const post = parts(parseEnvelope('post', { method: 'post', url: '/user', data: { name: 'ada', tags: [1, 2] } }, BASE, false, NONE))
  t.same(post.parsed, { name: 'ada', tags: [1, 2] }, 'the data of a POST is its body')
  t.equal(post.bytes, Buffer.byteLength('{"name":"ada","tags":[1,2]}'), 'measured as the JSON text it stands for')
  t.equal(post.payload, undefined, 'whose text is not made until the body is read')
  t.equal(post.headers['content-type'], 'application/json', 'with a JSON content type')
  const empty = parts(parseEnvelope('post', { method: 'post', url: '/user' }, BASE, false, NONE))
  t.same([empty.payload, empty.parsed, empty.bytes], [undefined, undefined, undefined], 'no data, no body')
  const dated = parts(parseEnvelope('post', { url: '/d', data: { at: new Date(0) } }, BASE, false, NONE))
  t.same([dated.payload, dated.parsed, dated.bytes], ['{"at":"1970-01-01T00:00:00.000Z"}', undefined, undefined],
    'data JSON.parse could not have made (a parser other than socket.io\'s) goes as its JSON text, to be parsed as over HTTP')
  t.equal(empty.headers['content-type'], undefined, 'and no content type')
  for (const verb of ['put', 'patch', 'delete', 'options'] as const) {
    const body = parts(parseEnvelope(verb, { url: '/b', data: [1] }, BASE, false, NONE))
    t.same([body.parsed, body.bytes], [[1], 3], `${verb} carries its data as a body`)
  }
})

t.test('the base headers are copied, never changed', async (t) => {
  const base = { host: 'h', 'x-base': '1' }
  const result = parts(parseEnvelope('post', { url: '/x', headers: { 'x-extra': 'e' }, data: {} }, base, false, NONE))
  t.same(result.headers, { host: 'h', 'x-base': '1', 'x-extra': 'e', 'content-type': 'application/json' })
  t.same(base, { host: 'h', 'x-base': '1' }, 'the connection\'s headers are untouched')
  t.same(parts(parseEnvelope('get', { url: '/x', headers: null }, base, false, NONE)).headers, base, 'null headers are no headers')
})

t.test('GET and HEAD data become query parameters', async (t) => {
  const url = (data: unknown, path = '/q', verb: 'get' | 'head' = 'get'): string => parts(parseEnvelope(verb, { url: path, data }, BASE, false, NONE)).url
  t.equal(url({ name: 'ann', n: 3, ok: true }), '/q?name=ann&n=3&ok=true', 'scalars as text')
  t.equal(url({ tags: ['x', 'y'] }), '/q?tags=x&tags=y', 'an array as a repeated parameter')
  t.equal(url({ where: { age: 3 } }), '/q?where=%7B%22age%22%3A3%7D', 'an object as JSON text (Sails blueprints read where so)')
  t.equal(url({ list: [{ a: 1 }] }), '/q?list=%7B%22a%22%3A1%7D', 'objects in an array as JSON text')
  t.equal(url({ skip: undefined, name: 'x' }), '/q?name=x', 'undefined values are left out')
  t.equal(url({ b: '2' }, '/q?a=1'), '/q?a=1&b=2', 'appended to a query already in the url')
  t.equal(url({}), '/q', 'an empty object adds nothing')
  t.equal(url(null), '/q', 'null data adds nothing')
  t.equal(url({ a: 1 }, '/q', 'head'), '/q?a=1', 'HEAD too')
  t.equal(parts(parseEnvelope('get', { url: '/q', data: { a: 1 } }, BASE, false, NONE)).payload, undefined, 'and no body')
  t.equal(url({ 'a&b': 'c=d' }), '/q?a%26b=c%3Dd', 'names and values are encoded')
  t.match(reason(parseEnvelope('get', { url: '/q', data: [1, 2] }, BASE, false, NONE)), /data of a get must be an object/)
  t.match(reason(parseEnvelope('head', { url: '/q', data: 'a=1' }, BASE, false, NONE)), /data of a head must be an object/)
  const long = { pad: 'x'.repeat(LIMITS.queryUrlLength) }
  t.match(reason(parseEnvelope('get', { url: '/q', data: long }, BASE, false, NONE)), /query built from data is too long/)
})

t.test('every malformed envelope is refused with its reason', async (t) => {
  const refused: Array<[string, string, unknown, RegExp]> = [
    ['null', 'get', null, /must be an object/],
    ['a string', 'get', '/ok', /must be an object/],
    ['an array', 'get', [{ url: '/ok' }], /must be an object/],
    ['a class instance', 'get', new URL('http://x/ok'), /must be an object/],
    ['method of another verb', 'get', { method: 'delete', url: '/ok' }, /method 'delete' does not match the 'get' event/],
    ['method not a string', 'get', { method: 5, url: '/ok' }, /method '5' does not match/],
    ['no url', 'get', { method: 'get' }, /^no url$/],
    ['url not a string', 'get', { url: 7 }, /url must be a string/],
    ['empty url', 'get', { url: '' }, /url length must be 1\.\.2048/],
    ['url past the limit', 'get', { url: '/' + 'a'.repeat(LIMITS.urlLength) }, /url length must be 1\.\.2048/],
    ['absolute url', 'get', { url: 'http://evil.example/ok' }, /a path starting with a single \//],
    ['protocol-relative url', 'get', { url: '//evil.example/ok' }, /a path starting with a single \//],
    ['backslash after the slash', 'get', { url: '/\\evil.example' }, /a path starting with a single \//],
    ['backslash inside', 'get', { url: '/a\\b' }, /backslash, # or a control character/],
    ['fragment', 'get', { url: '/a#b' }, /backslash, # or a control character/],
    ['CR LF', 'get', { url: '/ok\r\nx-injected: 1' }, /backslash, # or a control character/],
    ['NUL', 'get', { url: '/ok\u0000' }, /control character/],
    ['DEL', 'get', { url: '/ok\u007f' }, /control character/],
    ['headers a string', 'get', { url: '/ok', headers: 'x: 1' }, /headers must be an object of strings/],
    ['headers an array', 'get', { url: '/ok', headers: ['x'] }, /headers must be an object of strings/],
    ['a header that is not a string', 'get', { url: '/ok', headers: { 'x-a': { b: 1 } } }, /header 'x-a' must be a string/],
    ['a __proto__ key in data', 'post', JSON.parse('{"url":"/ok","data":{"__proto__":{"polluted":1}}}'), /the request holds a '__proto__' key/],
    ['a __proto__ key in headers', 'get', JSON.parse('{"url":"/ok","headers":{"__proto__":{"x":"1"}}}'), /'__proto__' key/],
    ['constructor.prototype in data', 'post', { url: '/ok', data: { constructor: { prototype: { polluted: 1 } } } }, /'constructor' object key/],
    ['nesting past the limit', 'post', { url: '/ok', data: JSON.parse('['.repeat(200) + ']'.repeat(200)) }, /nesting deeper than 32/],
    ['binary data', 'post', { url: '/ok', data: { file: Buffer.alloc(8) } }, /binary data \(send JSON\)/],
    // what a socket.io parser other than the default might make: JSON.stringify throws on it
    ['a BigInt in the data of a POST', 'post', { url: '/ok', data: { n: 10n } }, /data JSON cannot carry: .*BigInt/],
    ['a BigInt in the query data of a GET', 'get', { url: '/ok', data: { where: { n: 10n } } }, /data JSON cannot carry: .*BigInt/],
    ['a BigInt in a query array', 'get', { url: '/ok', data: { ids: [{ n: 1n }] } }, /data JSON cannot carry: .*BigInt/]
  ]
  for (const [name, verb, envelope, expected] of refused) {
    t.match(reason(parseEnvelope(verb as 'get', envelope, BASE, false, NONE)), expected, name)
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted')
  t.ok(parts(parseEnvelope('get', { url: '/' + 'a'.repeat(LIMITS.urlLength - 1) }, BASE, false, NONE)), 'a url exactly at the limit passes')
  t.ok(parts(parseEnvelope('get', { url: '/a?b=%23&c=/d//e' }, BASE, false, NONE)), 'slashes later in the url and encoded characters pass')
})

t.test('findUnsafeKey walks objects and arrays without recursion', async (t) => {
  t.equal(findUnsafeKey(undefined), undefined)
  t.equal(findUnsafeKey('__proto__'), undefined, 'a primitive holds no key')
  t.equal(findUnsafeKey({ a: [{ b: { c: 1 } }], constructor: 'a string is fine' }), undefined, 'a constructor key holding a scalar is fine')
  t.equal(findUnsafeKey({ a: [{ b: JSON.parse('{"__proto__":1}') }] }), "a '__proto__' key", 'found deep inside arrays')
  t.equal(findUnsafeKey([[{ constructor: {} }]]), "a 'constructor' object key")
  t.equal(findUnsafeKey({ constructor: null }), undefined, 'a null constructor is a scalar')
  const zeros = JSON.parse('{"a":-0,"b":[-0,[{"c":-0}]],"d":0}') as { a: number, b: [number, [{ c: number }]] }
  t.equal(findUnsafeKey(zeros), undefined)
  t.ok(Object.is(zeros.a, 0) && Object.is(zeros.b[0], 0) && Object.is(zeros.b[1][0].c, 0), 'every -0 became 0, as the JSON of the tree parses back')
  // the root is at depth 0: a chain of depth + 1 arrays puts the last one exactly at the limit
  let atLimit: unknown = 1
  for (let i = 0; i <= LIMITS.depth; i++) atLimit = [atLimit]
  t.equal(findUnsafeKey(atLimit), undefined, `an object nested ${LIMITS.depth} levels below the root passes`)
  t.equal(findUnsafeKey([atLimit]), `nesting deeper than ${LIMITS.depth}`, 'one more is refused')
  let deep: unknown = {}
  for (let i = 0; i < 100_000; i++) deep = { d: deep }
  t.equal(findUnsafeKey(deep), `nesting deeper than ${LIMITS.depth}`, 'a very deep payload cannot overflow the stack')
  t.equal(findUnsafeKey({ a: new Uint8Array(4) }), 'binary data (send JSON)', 'typed arrays')
  t.equal(findUnsafeKey({ a: new ArrayBuffer(4) }), 'binary data (send JSON)', 'array buffers')
})

t.test('checkSdkVersion: absent passes; present must be semver >= 0.11.0', async (t) => {
  for (const version of [undefined, '0.11.0', '1.2.1', 'v1.2.1', '1.2.1-beta.1', '2.0.0+build.5', '10.0.0']) {
    t.equal(checkSdkVersion(version), undefined, `${String(version)} passes`)
  }
  t.equal(checkSdkVersion(7), 'not a string')
  t.equal(checkSdkVersion(['1.2.1']), 'not a string', 'an array (a repeated query parameter) is not a version')
  for (const version of ['abc', '1.2', '0.10.9', '0.9.0', '1.2.1.4', '']) t.equal(checkSdkVersion(version), `'${version}'`, `${version} is refused`)
  t.equal(checkSdkVersion('x'.repeat(100)), `'${'x'.repeat(32)}'`, 'a long value is cut in the reason')
})
