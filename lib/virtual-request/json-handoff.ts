import { createRequire } from 'node:module'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { VirtualIncoming } from './request.js'

// A virtual request's JSON body arrives parsed (socket.io parsed the packet). Over HTTP Fastify would read
// the JSON text from the stream and parse it; here the plugin measures the data's JSON text (the route sees
// the content-length HTTP would declare; json-size.ts) and, where Fastify's own JSON parser would run, hands the
// parsed value over, the text never made: `JSON.parse(JSON.stringify(data))` is `data` for a tree
// socket.io's JSON.parse built and envelope.ts checked (no `__proto__` or `constructor` object key, which
// the poisoning options act on; no binary; -0 made 0). The POST bench: the parse, the body stream, its
// Buffer and Fastify's AsyncResource were ~5 µs of a 1 KB body's request.
//
// Exactly where Fastify would apply nothing but its default parser: content type `application/json` as the
// plugin set it, that route's parser for it still Fastify's default one (an app that registered its own
// JSON parser, anywhere, gets the text path), no preParsing hook on the route (it may read or replace the
// stream), the stream unread, and the body within the route's bodyLimit (else Fastify answers 413 itself).
//
// Fastify has no public seam for this: the route context's content-type parser is wrapped (once per
// context, when its first socket request with a body arrives) with a `run` that takes this path or calls
// Fastify's. It reads Fastify internals through Fastify's own symbols; should any be missing (another
// Fastify), nothing is wrapped and every body takes the text path.

const require = createRequire(import.meta.url)
const symbols = require('fastify/lib/symbols.js') as Record<string, symbol | undefined>
const kRouteContext = symbols.kRouteContext
const kDefaultJsonParse = symbols.kDefaultJsonParse
const kWrapped = Symbol('fastify-sockets.jsonHandoff')

interface Parser { asString: boolean, bodyLimit: number, fn: unknown }
interface ContentTypeParser {
  customParsers: Map<string, Parser>
  run: (contentType: string, handler: Handler, request: FastifyRequest, reply: FastifyReply) => void
  [kWrapped]?: true
}
type Handler = (request: FastifyRequest, reply: FastifyReply) => void
interface RouteContext { contentTypeParser: ContentTypeParser, preParsing: unknown, _parserOptions: { limit: number | null } }

const JSON_TYPE = 'application/json'

/** Lets the route of this virtual request take its JSON body parsed (see above). Call from onRequest. */
export function offerParsedBody (request: FastifyRequest): void {
  if (kRouteContext === undefined || kDefaultJsonParse === undefined) return
  const context = (request as unknown as Record<symbol, RouteContext | undefined>)[kRouteContext]
  const original = context?.contentTypeParser
  if (original === undefined || original[kWrapped] === true || typeof original.run !== 'function' || !(original.customParsers instanceof Map)) return
  const wrapper: ContentTypeParser = Object.create(original)
  wrapper[kWrapped] = true
  wrapper.run = function run (contentType, handler, req, reply) {
    if (contentType === JSON_TYPE && takeable(this, req)) {
      req.body = (req.raw as unknown as VirtualIncoming).takeParsedBody()
      handler(req, reply)
      return
    }
    original.run(contentType, handler, req, reply)
  }
  ;(context as RouteContext).contentTypeParser = wrapper
}

function takeable (parsers: ContentTypeParser, request: FastifyRequest): boolean {
  const raw = request.raw as unknown as Partial<VirtualIncoming>
  if (raw.hasParsedBody !== true) return false
  const context = (request as unknown as Record<symbol, RouteContext>)[kRouteContext as symbol] as RouteContext
  if (context.preParsing !== null) return false
  const parser = parsers.customParsers.get(JSON_TYPE)
  if (parser === undefined || parser.fn !== (parsers as unknown as Record<symbol, unknown>)[kDefaultJsonParse as symbol] || parser.asString !== true) return false
  // as Fastify's rawBody: the route's bodyLimit, else the parser's
  const limit = context._parserOptions.limit === null ? parser.bodyLimit : context._parserOptions.limit
  return Number(request.headers['content-length']) <= limit
}
