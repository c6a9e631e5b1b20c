// The splicing ack encoder writes, for a JWR carrying its body's JSON text, the very packet socket.io's own
// encoder writes; every other packet is socket.io's encoder's.
import t from 'tap'
import { createRequire } from 'node:module'
import type * as Parser from 'socket.io-parser'
import { ackParser, kJsonText } from '../../lib/virtual-request/ack-encoder.js'
import { jwrOfResponse } from '../../lib/virtual-request/jwr.js'

const parser = createRequire(import.meta.url)('socket.io-parser') as typeof Parser
const ours = new ackParser.Encoder()
const theirs = new parser.Encoder()
const jsonAnswer = (text: string): ReturnType<typeof jwrOfResponse> =>
  jwrOfResponse({ statusCode: 201, headers: { 'content-type': 'application/json; charset=utf-8', 'x-list': ['a', 'b'], 'x-quoted': 'a "b" \\ c\td é', 123: 'n' }, body: [text] })

t.test('an ack of a JSON answer: the same packet as socket.io writes', async (t) => {
  for (const value of [{ hello: 'world' }, [1, 'two', null, { three: [true] }], 'a string', 0, null, { u: 'héllo ✓ 𝄞 \u2028' }]) {
    const jwr = jsonAnswer(JSON.stringify(value))
    t.equal(typeof (jwr as unknown as Record<symbol, unknown>)[kJsonText], 'string', 'the JWR carries its text')
    for (const [nsp, id] of [['/', 7], ['/admin', 0], ['/', undefined]] as const) {
      const packet = { type: parser.PacketType.ACK, nsp, id, data: [jwr] }
      t.same(ours.encode(packet), theirs.encode(packet), `${JSON.stringify(value).slice(0, 16)} in ${nsp}, id ${String(id)}`)
    }
  }
})

t.test('JSON text that is not canonical is spliced as is, and decodes to the same value', async (t) => {
  const jwr = jsonAnswer('{ "a" : [ 1 , 2 ] }')
  const [text] = ours.encode({ type: parser.PacketType.ACK, nsp: '/', id: 1, data: [jwr] }) as string[]
  const decoded = await new Promise<unknown>((resolve) => {
    const decoder = new parser.Decoder()
    decoder.on('decoded', resolve)
    decoder.add(text as string)
  })
  t.same(decoded, { type: parser.PacketType.ACK, nsp: '/', id: 1, data: [{ body: { a: [1, 2] }, statusCode: 201, headers: jwr.headers }] })
})

t.test('what is not spliced', async (t) => {
  t.equal((jsonAnswer('not json') as unknown as Record<symbol, unknown>)[kJsonText], undefined, 'text that does not parse: its JWR body is the text')
  t.equal(jsonAnswer('not json').body, 'not json')
  const lone = jsonAnswer('"\ud800"')
  t.equal((lone as unknown as Record<symbol, unknown>)[kJsonText], undefined, 'a lone surrogate: socket.io\'s encoder escapes it')
  t.equal(lone.body, '\ud800')
  const event = { type: parser.PacketType.EVENT, nsp: '/', data: ['tick', { seq: 1 }] }
  t.same(ours.encode(event), theirs.encode(event), 'an event')
  const bytes = { type: parser.PacketType.ACK, nsp: '/', id: 2, data: [{ body: Buffer.from([1, 2]), statusCode: 200, headers: {} }] }
  t.same(ours.encode(bytes), theirs.encode(bytes), 'an ack with binary data')
})

t.test('the JWR takes the answer\'s header map as it is, unless something in it must change', async (t) => {
  const plain = { 'content-type': 'text/plain; charset=utf-8', 'content-length': '2', date: 'x' }
  const jwr = jwrOfResponse({ statusCode: 200, headers: plain, body: ['ok'] })
  t.equal(jwr.headers, plain, 'nothing hidden, every value a string: no copy')
  t.same(jwr.body, 'ok')
  const hidden = { 'content-type': 'text/plain', 'set-cookie': ['a=1'], connection: 'close' }
  const hiding = jwrOfResponse({ statusCode: 200, headers: hidden, body: ['ok'] })
  t.same(hiding.headers, { 'content-type': 'text/plain', 'content-length': '2' }, 'set-cookie and connection never reach the socket')
  t.same(hidden, { 'content-type': 'text/plain', 'set-cookie': ['a=1'], connection: 'close' }, 'the response\'s map unchanged')
  const numeric = { 'content-type': 'text/plain', 'content-length': 2 }
  t.same(jwrOfResponse({ statusCode: 200, headers: numeric, body: ['ok'] }).headers, { 'content-type': 'text/plain', 'content-length': '2' }, 'a number value becomes its text')
  // bytes written past what the route declared (a raw write): counted, not trusted
  const wrong = { 'content-type': 'application/octet-stream', 'content-length': '99' }
  const fixed = jwrOfResponse({ statusCode: 200, headers: wrong, body: [Buffer.from('ok')] })
  t.equal(fixed.headers['content-length'], '2', 'the JWR states the bytes sent')
  t.equal(wrong['content-length'], '99', 'the response\'s own map keeps what the route declared (onResponse hooks read it)')
})
