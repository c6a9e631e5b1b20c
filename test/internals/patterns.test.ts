// Unit tests of the room pattern parameter reader (lib/rooms/patterns.ts): what a join guard receives.
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { paramReader } from '../../lib/rooms/patterns.js'

t.test('${number} and ${string} placeholders become parameters, in order', async (t) => {
  const game = paramReader(Type.TemplateLiteral('game:${number}'))
  t.same(game('game:42'), [42], 'a number placeholder reads as a number')
  t.same(game('game:0'), [0])
  t.equal(game('game:x'), undefined, 'a name that is not the pattern\'s: undefined')
  t.equal(game('game:042'), undefined, 'TypeBox numbers have no leading zero')
  t.equal(game('xgame:1'), undefined, 'anchored at the start')
  const chat = paramReader(Type.TemplateLiteral('chat:${string}:${number}'))
  t.same(chat('chat:general:7'), ['general', 7], 'several placeholders')
  t.same(chat('chat:a:b:7'), ['a:b', 7], 'a string placeholder takes what the later ones leave')
  t.same(chat('chat::7'), ['', 7], 'a string placeholder may be empty')
  t.same(paramReader(Type.TemplateLiteral('big:${bigint}'))('big:12'), [12], '${bigint} reads as a number too')
})

t.test('fixed choices are not parameters', async (t) => {
  const team = paramReader(Type.TemplateLiteral([Type.Literal('team:'), Type.Union([Type.Literal('red'), Type.Literal('blue')]), Type.Literal(':'), Type.Number()]))
  t.same(team('team:red:3'), [3], 'a union of literals is skipped')
  t.equal(team('team:green:3'), undefined)
  const flag = paramReader(Type.TemplateLiteral('flag:${boolean}:${string}'))
  t.same(flag('flag:true:x'), ['x'], '${boolean} is a fixed choice')
})

t.test('escaped characters and other schemas', async (t) => {
  const escaped = paramReader(Type.TemplateLiteral('a.b(${string})[${number}]'))
  t.same(escaped('a.b(zz)[3]'), ['zz', 3], 'escaped parentheses and brackets are not groups')
  t.equal(escaped('aXb(zz)[3]'), undefined, 'an escaped dot is a dot')
  const lobby = paramReader(Type.Literal('lobby'))
  t.same(lobby('lobby'), [], 'a literal has no parameters')
  t.equal(lobby('lobby2'), undefined)
  t.same(paramReader(Type.String())('anything'), [], 'a plain string schema has none')
  t.same(paramReader(Type.String({ pattern: '^x(\\d+)$' }))('x12'), [], 'groups of a hand-written pattern are not placeholders')
  t.equal(paramReader(Type.String({ pattern: '^x(\\d+)$' }))('y'), undefined)
  const union = paramReader(Type.Union([Type.TemplateLiteral('u:${number}'), Type.TemplateLiteral('v:${string}'), Type.Literal('w')]))
  t.same(union('u:1'), [1], 'a union: the first member that matches')
  t.same(union('v:zz'), ['zz'])
  t.same(union('w'), [])
  t.equal(union('z'), undefined, 'none matches')
})
