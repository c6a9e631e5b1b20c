// Unit tests of the find criteria (lib/resources/criteria.ts): the querystring schema of a find route and the
// parser of Sails-style `where`, `sort`, `skip`, `limit`.
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { findCriteria } from '../../lib/resources/criteria.js'

const User = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  age: Type.Optional(Type.Integer({ minimum: 0 })),
  admin: Type.Optional(Type.Boolean()),
  score: Type.Optional(Type.Number()),
  tags: Type.Optional(Type.Array(Type.String())),
  address: Type.Optional(Type.Object({ city: Type.String() })),
  limit: Type.Optional(Type.String())
})

t.test('the querystring schema: each scalar attribute, and where/sort/skip/limit', async (t) => {
  const { querystring } = findCriteria(User, 30, 100)
  t.same(Object.keys(querystring.properties).sort(), ['admin', 'age', 'id', 'limit', 'name', 'score', 'skip', 'sort', 'where'],
    'arrays and objects cannot be filtered from the query; an attribute named like a criteria key is the key')
  t.same(querystring.required ?? [], [], 'every key is optional')
  const check = TypeCompiler.Compile(querystring)
  t.ok(check.Check({ name: 'ada', age: 3, where: '{}', sort: 'age', skip: 0, limit: 100 }))
  t.notOk(check.Check({ limit: 101 }), 'limit is at most the maximum')
  t.notOk(check.Check({ skip: -1 }), 'skip is at least 0')
  t.notOk(check.Check({ limit: 1.5 }), 'limit is an integer')
  t.notOk(check.Check({ where: 'x'.repeat(4097) }), 'where is at most 4096 characters')
  t.notOk(check.Check({ sort: 'x'.repeat(513) }), 'sort is at most 512')
  t.notOk(check.Check({ age: 'old' }), 'an attribute filter has its attribute\'s type')
})

t.test('parse: defaults, attribute filters and where', async (t) => {
  const { parse } = findCriteria(User, 30, 100)
  t.same(parse({}), { where: {}, sort: [], skip: 0, limit: 30 }, 'nothing given: everything, from 0, the default limit')
  t.same(parse({ skip: 10, limit: 5 }), { where: {}, sort: [], skip: 10, limit: 5 })
  t.same(parse({ name: 'ada', admin: true }).where, { name: 'ada', admin: true }, '?name=ada filters like where')
  t.same(parse({ where: '{"age":3,"name":"ada"}' }).where, { age: 3, name: 'ada' }, 'where is JSON, equality only')
  t.same(parse({ name: 'bob', where: '{"name":"ada"}' }).where, { name: 'ada' }, 'where wins over an attribute filter of the same name')
  t.same(parse({ where: '{}' }).where, {}, 'an empty where')
  t.same(parse({ unknown: 'ignored' } as never).where, {}, 'query keys that are no scalar attribute are not filters')
})

t.test('parse: bad where and sort are FST_SOCKETS_BAD_CRITERIA (400)', async (t) => {
  const { parse } = findCriteria(User, 30, 100)
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['where not JSON', { where: '{name:ada}' }, /where is not JSON/],
    ['where an array', { where: '[1]' }, /where must be a JSON object/],
    ['where null', { where: 'null' }, /where must be a JSON object/],
    ['where a number', { where: '7' }, /where must be a JSON object/],
    ['an unknown attribute', { where: '{"password":"x"}' }, /unknown attribute 'password'/],
    ['an inherited name', { where: '{"constructor":1}' }, /unknown attribute 'constructor'/],
    ['__proto__', { where: '{"__proto__":{"admin":true}}' }, /unknown attribute '__proto__'/],
    ['an operator object', { where: '{"age":{">":3}}' }, /where\.age must be a plain value \(equality only\)/],
    ['an array value', { where: '{"tags":["a"]}' }, /where\.tags must be a plain value/],
    ['a value of the wrong type', { where: '{"age":"old"}' }, /where\.age: /],
    ['a value out of range', { where: '{"age":-1}' }, /where\.age: /],
    ['sort by an unknown attribute', { sort: 'password' }, /sort clause 'password' is not '<attribute> \[asc\|desc\]'/],
    ['sort by an inherited name', { sort: 'toString' }, /sort clause 'toString'/],
    ['a bad direction', { sort: 'age sideways' }, /sort clause 'age sideways'/],
    ['an empty clause', { sort: 'age,' }, /sort clause ''/],
    ['an expression', { sort: 'age; drop' }, /sort clause/]
  ]
  for (const [name, query, expected] of bad) {
    t.throws(() => parse(query as never), { code: 'FST_SOCKETS_BAD_CRITERIA', statusCode: 400, message: expected }, name)
  }
  t.throws(() => parse({ where: `{"${'a'.repeat(200)}":1}` }), { message: new RegExp(`unknown attribute '${'a'.repeat(64)}'`) }, 'a long name is cut in the error')
})

t.test('parse: sort clauses', async (t) => {
  const { parse } = findCriteria(User, 30, 100)
  t.same(parse({ sort: 'age desc,name' }).sort, [['age', 'desc'], ['name', 'asc']], 'asc by default, in the order given')
  t.same(parse({ sort: ' age  DESC , name Asc ' }).sort, [['age', 'desc'], ['name', 'asc']], 'directions in any case, spaces around')
  t.same(parse({ sort: 'score' }).sort, [['score', 'asc']])
})

t.test('a schema without scalar attributes still filters through where', async (t) => {
  const { querystring, parse } = findCriteria(Type.Object({ id: Type.String(), meta: Type.Object({}) }), 10, 10)
  t.same(Object.keys(querystring.properties).sort(), ['id', 'limit', 'skip', 'sort', 'where'])
  t.same(parse({ where: '{"id":"a"}' }), { where: { id: 'a' }, sort: [], skip: 0, limit: 10 })
})
