import { KindGuard, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { FST_SOCKETS_INVALID_EVENT, FST_SOCKETS_OPTIONS_INVALID, FST_SOCKETS_INVALID_PAYLOAD, FST_SOCKETS_UNDECLARED_EVENT } from '../errors.js'
import { LIMITS } from '../common/limits.js'
import { RECOVERY_EVENT } from '../connection/recovery.js'
import { firstSchemaError, messageOf } from '../common/values.js'

// The runtime side of the typed events: every schema compiled once (at registration), then each
// outgoing event checked once per call, never per recipient.

// socket.io's reserved names, plus the client SDK's lifecycle events (a push under those names would never
// reach an SDK listener); checking them ourselves gives a coded error instead of socket.io's throw.
// (and the plugin's own first broadcast of a recoverable socket)
const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener',
  'reconnect', 'reconnecting', 'reconnect_failed', RECOVERY_EVENT])

/** Why a name cannot be an event name, or undefined when it can. */
export function eventNameProblem (event: unknown): string | undefined {
  if (typeof event !== 'string') return `expected a string, got ${event === null ? 'null' : typeof event}`
  if (event.length === 0 || event.length > LIMITS.eventName) return `'${event.slice(0, 64)}' must have 1..${LIMITS.eventName} characters`
  if (RESERVED_EVENTS.has(event)) return `'${event}' is reserved by socket.io`
  return undefined
}

/** Compiles a schema of the options, or refuses it with a coded error naming where it is. */
export function compileSchema (schema: TSchema, where: string): TypeCheck<TSchema> {
  try {
    return TypeCompiler.Compile(schema)
  } catch (err) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`${where} does not compile: ${messageOf(err)}`)
  }
}

/** The compiled event schemas of one registration. */
export class EventRegistry {
  readonly #validate: boolean
  readonly #events = new Map<string, TypeCheck<TSchema>>()
  readonly #schemas = new Map<string, TSchema>()

  /** @throws FST_SOCKETS_OPTIONS_INVALID when a schema does not compile */
  constructor (events: Readonly<Record<string, TSchema>> | undefined, validate: boolean) {
    this.#validate = validate
    for (const [name, schema] of Object.entries(events ?? {})) this.define(name, schema)
  }

  /**
   * Adds an event schema after registration (for features that own an event, such as a resource's
   * messages). Compiled now, once.
   * @throws FST_SOCKETS_OPTIONS_INVALID when the name is taken by another schema or the schema does not compile
   */
  define (event: string, schema: TSchema): void {
    const problem = eventNameProblem(event)
    if (problem !== undefined) throw new FST_SOCKETS_OPTIONS_INVALID(`events: ${problem}`)
    if (!KindGuard.IsSchema(schema)) throw new FST_SOCKETS_OPTIONS_INVALID(`events.${event} must be a TypeBox schema`)
    const existing = this.#schemas.get(event)
    if (existing !== undefined && existing !== schema) throw new FST_SOCKETS_OPTIONS_INVALID(`event '${event}' already has another schema`)
    this.#events.set(event, compileSchema(schema, `events.${event}`))
    this.#schemas.set(event, schema)
  }

  /**
   * Checks an outgoing event: its name, and with `validate` on, that it is declared (once any event
   * is) and that the payload matches its schema.
   * @throws FST_SOCKETS_INVALID_EVENT, FST_SOCKETS_UNDECLARED_EVENT, FST_SOCKETS_INVALID_PAYLOAD
   */
  checkEvent (event: unknown, payload: unknown): void {
    const problem = eventNameProblem(event)
    if (problem !== undefined) throw new FST_SOCKETS_INVALID_EVENT(problem)
    if (!this.#validate || this.#events.size === 0) return
    const check = this.#events.get(event as string)
    if (check === undefined) throw new FST_SOCKETS_UNDECLARED_EVENT(event as string)
    if (!check.Check(payload)) {
      const { path, message } = firstSchemaError(check, payload)
      throw new FST_SOCKETS_INVALID_PAYLOAD(event as string, path, message)
    }
  }

  /** The event schemas as plain JSON Schema (TypeBox's symbols dropped). */
  schemas (): Record<string, unknown> {
    const events: Record<string, unknown> = {}
    for (const [name, schema] of this.#schemas) events[name] = JSON.parse(JSON.stringify(schema))
    return events
  }
}
