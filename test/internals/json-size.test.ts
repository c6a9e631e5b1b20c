import t from 'tap'
import { checkJson } from '../../lib/virtual-request/envelope.js'

// The size of a body's JSON text is counted on the envelope's walk, not by making the text: it must be the
// byte length JSON.stringify's text has, for every value JSON.parse can make, or the route's content-length
// (and its bodyLimit) would be wrong.

const bytesOf = (value: unknown): number | undefined => checkJson(value, 0).bytes
const textBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value))
// a test name in printable ASCII (U+2028 would end a TAP line)
const nameOf = (value: unknown): string => JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))

t.test('scalars, strings and their escapes', async (t) => {
  const values: unknown[] = [
    null, true, false, 0, -0, 1, -1, 9, 10, 99, 100, 999, 1000, 9999, 10000, -10000, 123456789,
    Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, -1e21, 1e-7, 0.1, 0.1 + 0.2, -0.5, 5e-324,
    Number.MAX_VALUE, 123.456, '', 'plain', 'a "quoted" \\ word', '\b\f\n\r\t', '\u0000\u0001\u001f', '\u007f',
    '\u0080é\u07ff', '\u0800€\uffff', '\u2028\u2029', '\ud83d\ude00', '\ud800', '\udc00', 'x\udbffy', '\udc00\ud800', '\ud800\ud800\udc00'
  ]
  for (const value of values) t.equal(bytesOf(value), textBytes(value), nameOf(value))
  t.equal(bytesOf(Number.NaN), 4, 'NaN is written null')
  t.equal(bytesOf(Infinity), 4, 'Infinity is written null')
})

t.test('arrays and objects', async (t) => {
  const values: unknown[] = [
    [], {}, [1], [1, 2, 3], [[]], [{}], { a: 1 }, { a: 1, b: [true, null] }, { '': '' }, { 'k"\\\n': 'v' },
    { 1: 'one', b: 2, 0: 'zero' }, Object.assign(Object.create(null), { a: 1 }), { nested: { deep: [{ x: 'é' }] } }
  ]
  for (const value of values) t.equal(bytesOf(value), textBytes(value), nameOf(value))
})

t.test('what JSON.stringify writes in its own way is not measured', async (t) => {
  class Point { x = 1 }
  const holed: unknown[] = [1]
  holed[2] = 3
  const values: Array<[unknown, string]> = [
    [undefined, 'undefined'], [{ a: undefined }, 'an undefined member'], [[undefined], 'an undefined item'], [holed, 'a hole'],
    [new Date(0), 'a Date (toJSON)'], [{ toJSON: () => 1 }, 'a toJSON method'], [{ toJSON: 1 }, 'a toJSON member'],
    [new Point(), 'a class instance'], [{ f: () => 1 }, 'a function'], [{ s: Symbol('s') }, 'a symbol'], [10n, 'a BigInt'],
    [new Map(), 'a Map']
  ]
  for (const [value, name] of values) t.equal(bytesOf(value), undefined, name)
})

t.test('a walk that refuses the value measures nothing', async (t) => {
  t.same(checkJson({ a: JSON.parse('{"__proto__":1}') }, 0), { problem: "a '__proto__' key", bytes: undefined })
  t.same(checkJson([{ constructor: {} }], 0), { problem: "a 'constructor' object key", bytes: undefined })
})

t.test('random JSON values measure as their text (seeded)', async (t) => {
  let seed = 17
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
  const units = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\b', '\u0001', '\u001f', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '€', '\uffff', '\ud83d', '\ude00', '\ud800', '\udfff', '\u2028']
  const numbers = [0, -0, 7, -42, 1234, 98765, 2 ** 31, -(2 ** 40), 2 ** 53 + 2, 1e21, 1.5, -0.001, 1e-7, 6.02e23, Math.PI]
  const text = (): string => { let s = ''; for (let n = Math.floor(random() * 8); n > 0; n--) s += pick(units); return s }
  const value = (depth: number): unknown => {
    const kind = Math.floor(random() * (depth > 4 ? 3 : 5))
    if (kind === 0) return text()
    if (kind === 1) return pick(numbers)
    if (kind === 2) return pick([true, false, null])
    if (kind === 3) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1))
    const object: Record<string, unknown> = {}
    for (let n = Math.floor(random() * 4); n > 0; n--) object[random() < 0.2 ? String(Math.floor(random() * 10)) : text()] = value(depth + 1)
    return object
  }
  let wrong = 0
  for (let i = 0; i < 20_000; i++) {
    // as socket.io would hand it over: parsed from its text (a lone surrogate survives, escaped)
    const parsed: unknown = JSON.parse(JSON.stringify(value(0)))
    if (bytesOf(parsed) !== textBytes(parsed)) wrong++
  }
  t.equal(wrong, 0, '20,000 values, every one measured as JSON.stringify writes it')
})
