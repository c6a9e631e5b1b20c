// The UTF-8 byte length of JSON.stringify(value), piece by piece, without making the text. A socket request's
// body arrives parsed, and the route sees the content-length HTTP would declare for it; where Fastify's own
// JSON parser would run, the parsed value is handed over (json-handoff.ts) and the text is never read. Making
// the text of a 1 KB body only to count its bytes cost ~6 to 8 µs on the bench machine, where counting them on
// the walk envelope.ts makes anyway adds ~2.3 µs: the text is made only when something reads the body.
//
// Exact for what JSON.parse makes: null, booleans, finite numbers, strings, arrays and plain objects. Anything
// JSON.stringify treats its own way (a toJSON method, undefined, a function, a symbol, a BigInt, a class
// instance, an array hole, which a parser other than socket.io's default might give) measures NaN, and the
// caller makes the text instead.

// Printable ASCII but `"` and `\`: one byte each, written as is (the common case, tested natively).
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** Whether JSON.stringify writes `s` as it is between its quotes, one byte a character: printable ASCII but `"` and `\`. */
export function writtenAsIs (s: string): boolean {
  return PLAIN.test(s)
}

/** A string as JSON.stringify writes it: quotes, escapes, \uXXXX for a lone surrogate, the rest in UTF-8. */
export function stringSize (s: string): number {
  if (writtenAsIs(s)) return s.length + 2
  let size = 2
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x20 && c < 0x80) {
      size += c === 0x22 || c === 0x5c ? 2 : 1
    } else if (c < 0x20) {
      // \b \t \n \f \r, or \u00XX
      size += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6
    } else if (c < 0x800) {
      size += 2
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(s.charCodeAt(i + 1))) {
      size += 4
      i++
    } else if (c >= 0xd800 && c <= 0xdfff) {
      size += 6
    } else {
      size += 3
    }
  }
  return size
}

function isLowSurrogate (c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff
}

function numberSize (n: number): number {
  if (!Number.isFinite(n)) return 4 // null
  if (Number.isSafeInteger(n)) {
    // -0 is written 0
    const abs = n < 0 ? -n : n
    const digits = abs < 10 ? 1 : abs < 100 ? 2 : abs < 1000 ? 3 : abs < 10000 ? 4 : String(abs).length
    return n < 0 ? digits + 1 : digits
  }
  return String(n).length
}

/** A value that is not an object, or null; NaN for what JSON.stringify does not write as a value. */
export function scalarSize (value: unknown): number {
  switch (typeof value) {
    case 'string': return stringSize(value)
    case 'number': return numberSize(value)
    case 'boolean': return value ? 4 : 5
    default: return value === null ? 4 : NaN
  }
}

/** An array's brackets and commas (its items are measured apart); NaN unless JSON.stringify writes it as an array of its items. */
export function arrayFrameSize (array: unknown[]): number {
  if (Object.getPrototypeOf(array) !== Array.prototype || 'toJSON' in array) return NaN
  return array.length === 0 ? 2 : array.length + 1
}

/** An object's braces, commas and colons (its keys and values are measured apart); NaN unless it is a plain object. */
export function objectFrameSize (object: object, members: number): number {
  const proto: unknown = Object.getPrototypeOf(object)
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in object) return NaN
  return members === 0 ? 2 : 2 * members + 1
}
