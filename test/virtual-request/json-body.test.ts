// A socket request's JSON body reaches the route as Fastify's own JSON parser would give it, and the app's
// body rules hold: where only the default parser would run, the plugin hands over the value socket.io
// parsed (json-handoff.ts); a JSON parser of the app's, a preParsing hook or a bodyLimit take the text path.
import t from 'tap'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { buildApp, connect, request } from '../helpers/app.js'

const BODY = { name: 'héllo ✓ 𝄞', tags: ['a', 'b'], n: 1.5e300, big: 2 ** 60 + 1, nested: [[{ x: null, y: true }]], empty: {}, constructor: 'a string' }

// What the route saw of its body and its headers
function seen (request: FastifyRequest): Record<string, unknown> {
  return {
    body: request.body,
    contentType: request.headers['content-type'],
    contentLength: request.headers['content-length'],
    // the body stream read (the text path) or not (handed over parsed)
    streamRead: (request.raw as unknown as { readableDidRead: boolean }).readableDidRead
  }
}

function echo (app: FastifyInstance): void {
  app.post('/echo', async (request) => seen(request))
  app.put('/echo', async (request) => seen(request))
}

t.test('the default JSON parser: the route gets what HTTP would give, without a second parse', async (t) => {
  const app = await buildApp(t, {}, echo)
  const socket = await connect(t, app)
  for (const data of [BODY, null, 'a string', 0, 42, [1, [2, [3]]], true]) {
    const text = JSON.stringify(data)
    const http = (await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: text })).json()
    const jwr = await request(socket, 'post', '/echo', data)
    t.equal(jwr.statusCode, 200)
    const got = jwr.body as Record<string, unknown>
    t.same(got.body, http.body, `${text.slice(0, 20)}: the body HTTP gives`)
    t.equal(got.contentType, 'application/json')
    t.equal(got.contentLength, String(Buffer.byteLength(text)), 'the content-length of its JSON text')
    t.equal(got.streamRead, false, 'handed over parsed')
  }
  const put = await request(socket, 'put', '/echo', BODY)
  t.same((put.body as Record<string, unknown>).body, JSON.parse(JSON.stringify(BODY)), 'any verb with a body')
})

t.test('schema validation and coercion still run on a handed-over body', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.post('/typed', {
      schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' }, d: { type: 'string', default: 'dflt' } } } }
    }, async (request) => request.body)
  })
  const socket = await connect(t, app)
  t.same((await request(socket, 'post', '/typed', { n: '7' })).body, { n: 7, d: 'dflt' }, 'coerced, defaults added')
  const bad = await request(socket, 'post', '/typed', { n: 'seven' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, { code: 'FST_ERR_VALIDATION' })
})

t.test('a JSON parser of the app\'s own, at the root or in one plugin, parses the text', async (t) => {
  const app = await buildApp(t, {}, async (app) => {
    echo(app)
    await app.register(async (child) => {
      child.removeContentTypeParser('application/json')
      child.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
        done(null, { parsedBy: 'child', text })
      })
      child.post('/child/echo', async (request) => seen(request))
    })
  })
  const socket = await connect(t, app)
  const child = (await request(socket, 'post', '/child/echo', { a: 1 })).body as Record<string, unknown>
  t.same(child.body, { parsedBy: 'child', text: '{"a":1}' }, 'the child\'s parser, given the JSON text')
  t.equal(child.streamRead, true)
  const root = (await request(socket, 'post', '/echo', { a: 1 })).body as Record<string, unknown>
  t.same(root.body, { a: 1 }, 'the root keeps the default')
  t.equal(root.streamRead, false)

  const replaced = await buildApp(t, {}, (app) => {
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => { done(null, { parsedBy: 'app', text }) })
    echo(app)
  })
  const other = await connect(t, replaced)
  t.same(((await request(other, 'post', '/echo', { b: 2 })).body as Record<string, unknown>).body, { parsedBy: 'app', text: '{"b":2}' },
    'a parser replacing the default at the root')
})

t.test('a preParsing hook sees the JSON text, as over HTTP', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.post('/raw', {
      preParsing: async (request, _reply, payload) => {
        const chunks: Buffer[] = []
        for await (const chunk of payload) chunks.push(chunk as Buffer)
        ;(request as unknown as { rawText: string }).rawText = Buffer.concat(chunks).toString()
        const { Readable } = await import('node:stream')
        return Readable.from([Buffer.concat(chunks)])
      }
    }, async (request) => ({ raw: (request as unknown as { rawText: string }).rawText, body: request.body }))
  })
  const socket = await connect(t, app)
  t.same((await request(socket, 'post', '/raw', { c: [1, 2] })).body, { raw: '{"c":[1,2]}', body: { c: [1, 2] } })
})

t.test('bodyLimit: a body over the route\'s (or the app\'s) limit is refused as over HTTP', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.post('/small', { bodyLimit: 10 }, async (request) => request.body)
    app.post('/echo', async (request) => seen(request))
  }, { bodyLimit: 64 })
  const socket = await connect(t, app)
  const small = await request(socket, 'post', '/small', { long: 'more than ten bytes' })
  const http = await app.inject({ method: 'POST', url: '/small', headers: { 'content-type': 'application/json' }, payload: '{"long":"more than ten bytes"}' })
  t.equal(small.statusCode, 413)
  t.same(small.body, http.json(), 'the answer HTTP gives')
  t.same((await request(socket, 'post', '/small', { a: 1 })).body, { a: 1 }, 'within the limit')
  t.equal((await request(socket, 'post', '/echo', { text: 'x'.repeat(80) })).statusCode, 413, 'the app\'s bodyLimit')
  t.equal(((await request(socket, 'post', '/echo', { text: 'x'.repeat(20) })).body as Record<string, unknown>).streamRead, false)
})

t.test('the poisoning keys are refused before any parser, as they were', async (t) => {
  const app = await buildApp(t, {}, echo, { onProtoPoisoning: 'ignore', onConstructorPoisoning: 'ignore' })
  const socket = await connect(t, app)
  const proto = await socket.timeout(5000).emitWithAck('post', JSON.parse('{"method":"post","url":"/echo","data":{"a":{"__proto__":{"x":1}}}}'))
  t.equal((proto as { statusCode: number }).statusCode, 400)
  const ctor = await request(socket, 'post', '/echo', { constructor: { prototype: { x: 1 } } })
  t.equal(ctor.statusCode, 400)
})

t.test('a route that reads request.raw after the body was handed over finds it ended', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.post('/read', async (request) => {
      const chunks: Buffer[] = []
      for await (const chunk of request.raw) chunks.push(chunk as Buffer)
      return { left: Buffer.concat(chunks).length, body: request.body }
    })
  })
  const socket = await connect(t, app)
  t.same((await request(socket, 'post', '/read', { a: 1 })).body, { left: 0, body: { a: 1 } })
})

t.test('an app\'s own socket.io parser is kept, and answers still arrive', async (t) => {
  const { createRequire } = await import('node:module')
  const parser = createRequire(import.meta.url)('socket.io-parser') as typeof import('socket.io-parser')
  class CountingEncoder extends parser.Encoder {
    static count = 0
    override encode (packet: Parameters<InstanceType<typeof parser.Encoder>['encode']>[0]): ReturnType<InstanceType<typeof parser.Encoder>['encode']> {
      CountingEncoder.count++
      return super.encode(packet)
    }
  }
  const app = await buildApp(t, { socketio: { parser: { ...parser, Encoder: CountingEncoder } } }, echo)
  const socket = await connect(t, app)
  const jwr = await request(socket, 'post', '/echo', { a: 1 })
  t.same((jwr.body as Record<string, unknown>).body, { a: 1 })
  t.ok(CountingEncoder.count > 0, 'its encoder wrote the packets')
})

t.test('data an app\'s socket.io parser made that JSON could not carry goes as its JSON text, as over HTTP', async (t) => {
  const { createRequire } = await import('node:module')
  const parser = createRequire(import.meta.url)('socket.io-parser') as typeof import('socket.io-parser')
  // a decoder reviving ISO timestamps as Dates: the data then holds values JSON.parse never makes
  const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
  class RevivingDecoder extends parser.Decoder {
    constructor () { super((_key: string, value: unknown) => typeof value === 'string' && ISO.test(value) ? new Date(value) : value) }
  }
  for (const dispatch of ['lean', 'inject'] as const) {
    const app = await buildApp(t, { dispatch, socketio: { parser: { ...parser, Decoder: RevivingDecoder } } }, (app) => {
      app.post('/when', async (request) => ({ ...seen(request), isDate: (request.body as { at: unknown }).at instanceof Date }))
    })
    const socket = await connect(t, app)
    const data = { at: '2020-01-02T03:04:05.678Z', n: 1 }
    const text = JSON.stringify(data)
    const jwr = await request(socket, 'post', '/when', data)
    t.equal(jwr.statusCode, 200)
    t.same(jwr.body, { body: data, contentType: 'application/json', contentLength: String(Buffer.byteLength(text)), streamRead: true, isDate: false },
      `${dispatch}: the route parses the text of the Date, as HTTP would give it: a string, the content-length of that text`)
  }
})

t.test('dispatch: \'inject\' gets the text of a body the plugin only measured', async (t) => {
  const app = await buildApp(t, { dispatch: 'inject' }, echo)
  const socket = await connect(t, app)
  const text = JSON.stringify(BODY)
  const jwr = await request(socket, 'post', '/echo', BODY)
  t.same(jwr.body, { body: JSON.parse(text), contentType: 'application/json', contentLength: String(Buffer.byteLength(text)), streamRead: true })
})

t.test('data JSON cannot carry (a BigInt an app\'s socket.io parser made) gets a coded 400, and the socket goes on', async (t) => {
  const { createRequire } = await import('node:module')
  const parser = createRequire(import.meta.url)('socket.io-parser') as typeof import('socket.io-parser')
  class BigIntDecoder extends parser.Decoder {
    constructor () { super((_key: string, value: unknown) => typeof value === 'string' && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value) }
  }
  const app = await buildApp(t, { socketio: { parser: { ...parser, Decoder: BigIntDecoder } } }, echo)
  const socket = await connect(t, app)
  // a GET's query data: a BigInt at the top is written as its digits, one in an object is JSON text
  for (const [verb, data] of [['post', { n: '10n' }], ['get', { where: { n: '10n' } }]] as const) {
    const bad = await request(socket, verb, '/echo', data)
    t.equal(bad.statusCode, 400, `${verb}: refused`)
    t.match(bad.body, { code: 'FST_SOCKETS_BAD_REQUEST', message: /data JSON cannot carry/ })
  }
  const ok = await request(socket, 'post', '/echo', { n: 10 })
  t.same((ok.body as Record<string, unknown>).body, { n: 10 }, 'the next request is answered')
})
