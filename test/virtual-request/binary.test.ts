// Binary and text bodies over real HTTP and real sockets side by side: a reply that is neither text nor JSON
// reaches the socket byte for byte (SHA-256 of the HTTP body = SHA-256 of the socket's Buffer), text is
// decoded with its declared charset, and content-length states the bytes delivered. In both dispatch modes,
// over websocket and polling.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'

const STATIC = fileURLToPath(new URL('../fixtures/static/', import.meta.url))
const PNG = await readFile(new URL('../fixtures/static/pixel.png', import.meta.url))
// every byte value, then random ones: what toString('utf8') would have mangled
const BYTES = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(70_000)])

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: STATIC, prefix: '/static/' })
  app.get('/buffer', async (_request, reply) => reply.type('application/octet-stream').send(BYTES))
  // a binary stream without a length: HTTP sends it chunked
  app.get('/stream', async (_request, reply) => {
    const parts = [BYTES.subarray(0, 1000), BYTES.subarray(1000, 40_000), BYTES.subarray(40_000)]
    return reply.type('application/octet-stream').send(Readable.from(parts))
  })
  // no content type at all: RFC 9110 lets a recipient assume octet-stream
  app.get('/untyped', (_request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200)
    reply.raw.end(BYTES.subarray(0, 300))
  })
  app.get('/latin1', async (_request, reply) => reply.type('text/plain; charset=latin1').send(Buffer.from('héllo wörld', 'latin1')))
  app.get('/utf16', async (_request, reply) => reply.type('text/plain; charset=utf-16le').send(Buffer.from('snow ☃ man', 'utf16le')))
  app.get('/bad-utf8', async (_request, reply) => reply.type('text/plain; charset=utf-8').send(Buffer.from([0x61, 0xff, 0xfe, 0x62])))
  app.get('/unknown-charset', async (_request, reply) => reply.type('text/plain; charset=x-no-such-charset').send(Buffer.from([0x61, 0xe9])))
  app.get('/json-bytes', async (_request, reply) => reply.type('application/json').send(Buffer.from(JSON.stringify({ word: 'ünïcode' }))))
  app.get('/svg', async (_request, reply) => reply.type('image/svg+xml').send('<svg xmlns="http://www.w3.org/2000/svg"/>'))
}

async function viaHttp (app: FastifyInstance, path: string): Promise<{ bytes: Buffer, type: string | null, length: string | null }> {
  const res = await fetch(urlOf(app) + path)
  return { bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type'), length: res.headers.get('content-length') }
}

for (const dispatch of MODES) {
  for (const transport of ['websocket', 'polling'] as const) {
    t.test(`${dispatch}, ${transport}: binary replies are byte-identical to HTTP`, async (t) => {
      const app = await buildApp(t, { dispatch }, routes)
      const socket = await connect(t, app, { transports: [transport] })
      for (const path of ['/buffer', '/stream', '/untyped', '/static/pixel.png']) {
        const http = await viaHttp(app, path)
        const jwr = await request(socket, 'get', path)
        t.equal(jwr.statusCode, 200, `${path}: status`)
        t.ok(Buffer.isBuffer(jwr.body), `${path}: a Buffer reaches a Node socket.io client`)
        const body = jwr.body as Buffer
        t.equal(sha256(body), sha256(http.bytes), `${path}: SHA-256 of the socket's bytes = SHA-256 of the HTTP body`)
        t.equal(jwr.headers['content-length'], String(http.bytes.length), `${path}: content-length is the bytes delivered`)
        t.equal(jwr.headers['content-type'], http.type ?? undefined, `${path}: same content type`)
        t.comment(`${path}: ${body.length} bytes, sha256 ${sha256(body).slice(0, 16)}…`)
      }
      t.equal(sha256((await request(socket, 'get', '/static/pixel.png')).body as Buffer), sha256(PNG), 'the PNG is the file on disk')
    })
  }

  t.test(`${dispatch}: text is decoded with its declared charset, as an HTTP client decodes it`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app)
    const cases: Array<[string, string]> = [['/latin1', 'latin1'], ['/utf16', 'utf-16le'], ['/bad-utf8', 'utf-8'], ['/static/hello.txt', 'utf-8']]
    for (const [path, charset] of cases) {
      const http = await viaHttp(app, path)
      const jwr = await request(socket, 'get', path)
      t.equal(jwr.body, new TextDecoder(charset).decode(http.bytes), `${path}: the text HTTP gives, decoded as ${charset}`)
      t.equal(jwr.headers['content-length'], String(http.bytes.length), `${path}: content-length counts the bytes, not the characters`)
    }
    t.equal((await request(socket, 'get', '/latin1')).body, 'héllo wörld')
    t.equal((await request(socket, 'get', '/utf16')).body, 'snow ☃ man')
    t.equal((await request(socket, 'get', '/bad-utf8')).body, 'a\ufffd\ufffdb', 'invalid UTF-8 becomes U+FFFD, as in a browser')
    const unknown = await request(socket, 'get', '/unknown-charset')
    t.same(unknown.body, Buffer.from([0x61, 0xe9]), 'a charset Node cannot decode: the bytes, never a guess')
    t.same((await request(socket, 'get', '/json-bytes')).body, { word: 'ünïcode' }, 'JSON written as bytes is parsed from UTF-8')
    t.equal((await request(socket, 'get', '/svg')).body, '<svg xmlns="http://www.w3.org/2000/svg"/>', '+xml types are text')
  })
}
