// Unit tests of record ids and attribute names (lib/resources/ids.ts): ids coerced to the primary key's type,
// so '7' from a URL and 7 from the store name the same room.
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { RecordIds } from '../../lib/resources/ids.js'
import { LIMITS } from '../../lib/common/limits.js'

const INVALID_ID = { code: 'FST_SOCKETS_RESOURCE_ID_INVALID' }
const INVALID_PAYLOAD = { code: 'FST_SOCKETS_RESOURCE_PAYLOAD_INVALID' }

t.test('an integer primary key', async (t) => {
  const ids = new RecordIds('user', Type.Integer(), undefined)
  t.equal(ids.id(7), 7)
  t.equal(ids.id('7'), 7, 'a numeric string is coerced')
  t.equal(ids.id('-3'), -3)
  t.throws(() => ids.id('7.5'), { ...INVALID_ID, message: /Invalid user id: '7\.5' \(expected an integer matching the primary key's schema\)/ },
    'coerced, then checked against the schema')
  t.throws(() => ids.id(1.5), INVALID_ID)
  t.throws(() => ids.id('abc'), { ...INVALID_ID, message: /'abc'/ }, 'a string that is no number stays a string, which the schema refuses')
  for (const bad of [Number.NaN, Infinity, '', null, undefined, {}, [], true]) t.throws(() => ids.id(bad), INVALID_ID, String(bad))
})

t.test('a number primary key', async (t) => {
  const ids = new RecordIds('item', Type.Number(), undefined)
  t.equal(ids.id('1.5'), 1.5)
  t.equal(ids.id(2), 2)
  t.throws(() => ids.id('1e3'), { ...INVALID_ID, message: /expected a finite number/ }, 'only plain decimal strings are coerced')
  t.throws(() => ids.id('0x10'), INVALID_ID)
})

t.test('a string primary key', async (t) => {
  const ids = new RecordIds('doc', Type.String({ minLength: 2 }), undefined)
  t.equal(ids.id('ab'), 'ab')
  t.equal(ids.id(42), '42', 'a number is coerced to its text')
  t.throws(() => ids.id('a'), { ...INVALID_ID, message: /expected a string of 1\.\.100 characters matching the primary key's schema/ })
  t.throws(() => ids.id('x'.repeat(LIMITS.recordId + 1)), INVALID_ID, 'past the record id limit')
  t.equal(ids.id('x'.repeat(LIMITS.recordId)), 'x'.repeat(LIMITS.recordId), 'at the limit')
})

t.test('no primary key schema: numbers and strings as given', async (t) => {
  const ids = new RecordIds('thing', undefined, undefined)
  t.equal(ids.id('7'), '7', 'no coercion without a schema')
  t.equal(ids.id(7), 7)
  t.equal(ids.id(-0.5), -0.5)
  t.throws(() => ids.id({ id: 1 }), { ...INVALID_ID, message: /Invalid thing id: object \(expected a finite number or a string of 1\.\.100 characters\)$/ })
  t.throws(() => ids.id('x'.repeat(101)), { message: new RegExp(`'${'x'.repeat(64)}'`) }, 'a long value is cut in the error')
  t.throws(() => ids.id(Infinity), INVALID_ID)
})

t.test('child ids are taken as given', async (t) => {
  const ids = new RecordIds('user', Type.Integer(), undefined)
  t.equal(ids.child('7', 'addedTo'), '7', 'not coerced to the parent\'s key type')
  t.equal(ids.child(7, 'addedTo'), 7)
  for (const bad of ['', 'x'.repeat(101), Number.NaN, null, {}]) {
    t.throws(() => ids.child(bad, 'removedFrom'), { ...INVALID_PAYLOAD, message: /Invalid user removedFrom payload, nothing was published: child id/ }, String(bad))
  }
})

t.test('attribute names', async (t) => {
  const free = new RecordIds('user', undefined, undefined)
  t.equal(free.attribute('pets', 'addedTo'), 'pets', 'without a schema any name')
  for (const bad of ['', 'a'.repeat(LIMITS.attribute + 1), 7, null]) {
    t.throws(() => free.attribute(bad, 'addedTo'), { ...INVALID_PAYLOAD, message: /is not a non-empty string/ }, String(bad))
  }
  t.equal(free.attribute('a'.repeat(LIMITS.attribute), 'addedTo'), 'a'.repeat(LIMITS.attribute), 'at the limit')
  const typed = new RecordIds('user', Type.Integer(), Type.Object({ id: Type.Integer(), pets: Type.Array(Type.Integer()) }))
  t.equal(typed.attribute('pets', 'addedTo'), 'pets')
  t.throws(() => typed.attribute('friends', 'addedTo'), { ...INVALID_PAYLOAD, message: /attribute 'friends' is not in the schema/ })
  t.throws(() => typed.attribute('toString', 'addedTo'), { ...INVALID_PAYLOAD, message: /not in the schema/ }, 'inherited names are not attributes')
})
