import { createRequire } from 'node:module'
import type * as Parser from 'socket.io-parser'
import type { JWR } from './jwr.js'
import { writtenAsIs } from './json-size.js'

// socket.io's packet encoder, but a JWR whose body is JSON text the answer already holds is written by
// splicing that text into the ack packet: the bytes on the wire are the JSON of the same value, and the
// body is not walked for binary data and stringified again (the round-trip bench: ~0.5 µs a request for
// a small body, more for larger ones). Every other packet is encoded by socket.io's own encoder.

// The build socket.io itself loads (CommonJS): one module instance, and not the ESM build Node would pick
// for an import, which is the debug build.
const parser = createRequire(import.meta.url)('socket.io-parser') as typeof Parser

/** On a JWR: the JSON text of its body, well-formed UTF-16, known to parse (as `body`). */
export const kJsonText: unique symbol = Symbol('fastify-sockets.jsonText')

/** A JWR that may carry the JSON text of its body (invisible to JSON.stringify and to socket.io). */
export type SplicedJwr = JWR & { [kJsonText]?: string }

function quoted (value: string): string {
  return writtenAsIs(value) ? '"' + value + '"' : JSON.stringify(value)
}

// JSON.stringify(headers), about twice as fast on Node 20 for the few plain strings an answer has. The names
// are HTTP tokens (the response checked each as Node does: node-checks.ts), and a token is its own JSON text
// between quotes; the values may hold any character a header value may.
function headersJson (headers: JWR['headers']): string {
  let out = ''
  for (const name in headers) {
    const value = headers[name] as string | string[]
    out += (out === '' ? '{"' : ',"') + name + '":' + (typeof value === 'string' ? quoted(value) : JSON.stringify(value))
  }
  return out === '' ? '{}' : out + '}'
}

class AckEncoder extends parser.Encoder {
  override encode (packet: Parser.Packet): ReturnType<Parser.Encoder['encode']> {
    if (packet.type === parser.PacketType.ACK && Array.isArray(packet.data) && packet.data.length === 1) {
      const jwr = packet.data[0] as SplicedJwr | null | undefined
      const text = jwr?.[kJsonText]
      if (text !== undefined) {
        // as socket.io-parser's encodeAsString writes an ack: type, namespace unless '/', id, then the data
        let out = '3'
        if (packet.nsp !== undefined && packet.nsp !== '/') out += packet.nsp + ','
        if (packet.id !== undefined && packet.id !== null) out += String(packet.id)
        return [out + '[{"body":' + text + ',"statusCode":' + String(jwr!.statusCode) + ',"headers":' + headersJson(jwr!.headers) + '}]']
      }
    }
    return super.encode(packet)
  }
}

/** socket.io's default parser with the splicing encoder: given to the socket.io server unless the app chose a parser. */
export const ackParser = { ...parser, Encoder: AckEncoder }
