import { LIMITS } from '../common/limits.js'
import type { MembershipOp } from '../membership/membership.js'
import { STREAM_ID } from './stream-progress.js'

// The messages of the cluster bus, as they travel through Redis (JSON). Redis is a trust boundary:
// anything that does not have exactly one of these shapes is dropped by `parseMessage`.

/** What every message carries: who sent it. */
interface From {
  /** The sender's nodeId. */
  node: string
  /** A per-process nonce of the sender: tells its own echo from another process given the same nodeId. */
  instance: string
}

/** The kinds of question a node can ask the others. */
export type QueryKind = 'members' | 'rooms'

/** Every message of the bus. */
export type BusMessage =
  /** "I am alive" (every heartbeatInterval), "I just started" (everyone answers with a heartbeat), "I am leaving". */
  | From & { type: 'heartbeat' | 'hello' | 'bye' }
  /** Apply this membership change to your sockets, then acknowledge request `id`. */
  | From & { type: 'op', id: string, op: MembershipOp, after?: string }
  /** Answer request `id`: the members of room `arg`, or the rooms of socket `arg`. */
  | From & { type: 'query', id: string, query: QueryKind, arg: string }
  /** Request `id` is applied here. */
  | From & { type: 'ack', id: string }
  /** The answer to query `id`: a list, or null when this node does not hold that socket. */
  | From & { type: 'result', id: string, value: string[] | null }

type Without<M, K extends PropertyKey> = M extends unknown ? Omit<M, K> : never
/** A message as sent: the sender fields are added by the bus. */
export type OutgoingMessage = Without<BusMessage, keyof From>
/** A request every live node must answer, before the bus gives it an id. */
export type RequestBody = Without<Extract<OutgoingMessage, { type: 'op' | 'query' }>, 'id'>

// request ids are the sender's counter in base 36
function isId (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 16
}

const OPS = new Set(['join', 'leave', 'leaveAll', 'disconnect'])
const NAME = /^[A-Za-z0-9._:-]{1,64}$/

function isStringList (value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= LIMITS.clusterList &&
    value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= LIMITS.clusterItem)
}

function isItem (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= LIMITS.clusterItem
}

/** Parses one message from Redis; undefined for anything that is not exactly a bus message. */
export function parseMessage (raw: string): BusMessage | undefined {
  let msg: unknown
  try { msg = JSON.parse(raw) } catch { return undefined }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return undefined
  const m = msg as Record<string, unknown>
  if (typeof m.node !== 'string' || !NAME.test(m.node) || typeof m.instance !== 'string' || m.instance.length > 32) return undefined
  const from = { node: m.node, instance: m.instance }
  switch (m.type) {
    case 'heartbeat': case 'hello': case 'bye':
      return { ...from, type: m.type }
    case 'op': {
      const op = m.op as Record<string, unknown> | null
      if (!isId(m.id) || op === null || typeof op !== 'object' || !OPS.has(op.op as string)) return undefined
      if (!isStringList(op.sources) || !isStringList(op.rooms)) return undefined
      if (m.after !== undefined && (typeof m.after !== 'string' || !STREAM_ID.test(m.after))) return undefined
      return {
        ...from,
        type: 'op',
        id: m.id,
        op: { op: op.op as MembershipOp['op'], sources: op.sources, rooms: op.rooms },
        ...(m.after === undefined ? {} : { after: m.after })
      }
    }
    case 'query':
      if (!isId(m.id) || (m.query !== 'members' && m.query !== 'rooms') || !isItem(m.arg)) return undefined
      return { ...from, type: 'query', id: m.id, query: m.query, arg: m.arg }
    case 'ack':
      return isId(m.id) ? { ...from, type: 'ack', id: m.id } : undefined
    case 'result':
      if (!isId(m.id) || (m.value !== null && !isStringList(m.value))) return undefined
      return { ...from, type: 'result', id: m.id, value: m.value }
    default: return undefined
  }
}
