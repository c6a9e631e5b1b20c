import { Type, type Static } from '@sinclair/typebox'

// What every bench server answers and every load process sends: one definition, so the three servers
// do the same work as far as the client can tell.

export const ROOM = 'bench'
export const EVENT = 'tick'

/** The 1 KB JSON body of the POST workload. */
export function postBody (): { name: string, tags: string[], items: Array<{ id: number, label: string, qty: number, done: boolean }> } {
  const items = []
  for (let i = 0; i < 14; i++) items.push({ id: i, label: `item number ${i} of the bench`, qty: i * 3, done: i % 2 === 0 })
  return { name: 'fastify-sockets bench', tags: ['a', 'b', 'c'], items }
}

/** JSON Schema of that body, validated by the route on Fastify servers. */
export const POST_BODY_SCHEMA = {
  type: 'object',
  required: ['name', 'tags', 'items'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 100 },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 16 },
    items: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        required: ['id', 'label', 'qty', 'done'],
        additionalProperties: false,
        properties: {
          id: { type: 'integer' },
          label: { type: 'string', maxLength: 100 },
          qty: { type: 'integer', minimum: 0 },
          done: { type: 'boolean' }
        }
      }
    }
  }
} as const

export const POST_REPLY_SCHEMA = {
  200: { type: 'object', properties: { ok: { type: 'boolean' }, count: { type: 'integer' } } }
} as const

/** The broadcast payload; `t` is the sender's clock (same machine), for delivery latency. */
export const Tick = Type.Object({
  seq: Type.Integer(),
  t: Type.Number(),
  text: Type.String({ maxLength: 64 })
}, { additionalProperties: false })

export type Tick = Static<typeof Tick>

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export function now (): number {
  return performance.timeOrigin + performance.now()
}
