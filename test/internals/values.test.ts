// Unit tests of the small shared helpers (lib/common/values.ts, lib/common/log.ts).
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { isPlainObject, describe, messageOf, firstSchemaError } from '../../lib/common/values.js'
import { ThinnedCount } from '../../lib/common/log.js'

t.test('isPlainObject: object literals and null-prototype objects only', async (t) => {
  t.ok(isPlainObject({}))
  t.ok(isPlainObject(Object.create(null)))
  t.ok(isPlainObject(JSON.parse('{"__proto__":{"x":1}}')), 'JSON with a __proto__ key is still a plain object (an own key)')
  for (const value of [null, undefined, [], 'x', 1, () => {}, new Date(), new Map(), Object.create({}), new (class A {})()]) {
    t.notOk(isPlainObject(value), Object.prototype.toString.call(value))
  }
})

t.test('describe: a short, safe rendering of an untrusted value', async (t) => {
  t.equal(describe(null), 'null')
  t.equal(describe('abc'), "'abc'")
  t.equal(describe('x'.repeat(100)), `'${'x'.repeat(64)}'`, 'strings cut at 64')
  t.equal(describe(7.5), '7.5')
  t.equal(describe(Number.NaN), 'NaN')
  for (const [value, type] of [[undefined, 'undefined'], [{ toString: () => 'evil' }, 'object'], [[1], 'object'], [true, 'boolean'], [1n, 'bigint'], [Symbol('s'), 'symbol']] as const) {
    t.equal(describe(value), type, `${type}: its type only, never its text`)
  }
})

t.test('messageOf: the message of whatever was thrown', async (t) => {
  t.equal(messageOf(new TypeError('boom')), 'boom')
  t.equal(messageOf({ message: 'from an object' }), 'from an object', 'an error-like object')
  t.equal(messageOf({ message: 7 }), '[object Object]', 'a message that is not a string is not one')
  t.equal(messageOf('plain'), 'plain')
  t.equal(messageOf(null), 'null')
  t.equal(messageOf(undefined), 'undefined')
})

t.test('firstSchemaError: where a value first fails a schema', async (t) => {
  const check = TypeCompiler.Compile(Type.Object({ a: Type.Object({ b: Type.Integer() }) }))
  t.match(firstSchemaError(check, { a: { b: 'x' } }), { path: '/a/b', message: /integer/i })
  t.match(firstSchemaError(check, 7), { path: '/', message: /object/i }, 'the root is /')
})

t.test('ThinnedCount: the first ten, then powers of two', async (t) => {
  const count = new ThinnedCount()
  const logged: number[] = []
  for (let i = 0; i < 1000; i++) {
    const n = count.next()
    if (n !== undefined) logged.push(n)
  }
  t.same(logged, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 32, 64, 128, 256, 512])
})
