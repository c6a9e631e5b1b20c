import type { TObject, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { FST_SOCKETS_RESOURCE_ID_INVALID, FST_SOCKETS_RESOURCE_PAYLOAD_INVALID } from '../errors.js'
import { LIMITS } from '../common/limits.js'
import { describe } from '../common/values.js'
import type { RecordId } from './messages.js'

// The ids and attribute names a resource is given: checked, and ids coerced to the primary key's type.

type PkKind = 'number' | 'integer' | 'string' | 'any'
const EXPECTED_ID: Record<PkKind, string> = {
  number: 'a finite number',
  integer: 'an integer',
  string: `a string of 1..${LIMITS.recordId} characters`,
  any: `a finite number or a string of 1..${LIMITS.recordId} characters`
}

function pkKindOf (schema: TSchema | undefined): PkKind {
  const type = schema?.type
  if (type === 'integer') return 'integer'
  if (type === 'number') return 'number'
  if (type === 'string') return 'string'
  return 'any'
}

function isIdValue (value: unknown): value is RecordId {
  return typeof value === 'string'
    ? value.length > 0 && value.length <= LIMITS.recordId
    : typeof value === 'number' && Number.isFinite(value)
}

/** The id rules of one resource. */
export class RecordIds {
  readonly #identity: string
  readonly #schema: TObject | undefined
  readonly #pkKind: PkKind
  readonly #checkPk: TypeCheck<TSchema> | undefined

  /** @throws what TypeBox throws for a primary key schema that does not compile */
  constructor (identity: string, pkSchema: TSchema | undefined, schema: TObject | undefined) {
    this.#identity = identity
    this.#schema = schema
    this.#pkKind = pkKindOf(pkSchema)
    this.#checkPk = pkSchema === undefined ? undefined : TypeCompiler.Compile(pkSchema)
  }

  /**
   * A record's id, coerced to the primary key's type (Sails does the same), so `'7'` from a URL and `7`
   * from the store name one room and reach clients as the same value.
   * @throws FST_SOCKETS_RESOURCE_ID_INVALID
   */
  id (id: unknown): RecordId {
    let value = id
    if (this.#pkKind === 'string' && typeof value === 'number') value = String(value)
    else if ((this.#pkKind === 'number' || this.#pkKind === 'integer') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) value = Number(value)
    if (!isIdValue(value) || (this.#checkPk !== undefined && !this.#checkPk.Check(value))) {
      throw new FST_SOCKETS_RESOURCE_ID_INVALID(this.#identity, `${describe(id)} (expected ${EXPECTED_ID[this.#pkKind]}${this.#checkPk === undefined ? '' : ' matching the primary key\'s schema'})`)
    }
    return value
  }

  /**
   * The id of a child in an association message (`addedId`, `removedId`), as given.
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID
   */
  child (id: unknown, verb: string): RecordId {
    if (!isIdValue(id)) {
      throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.#identity, verb, `child id ${describe(id)} is not a finite number or a string of 1..${LIMITS.recordId} characters`)
    }
    return id
  }

  /**
   * An attribute name: a non-empty string, and with a schema one of its properties.
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID
   */
  attribute<A extends string> (attribute: unknown, verb: string): A {
    if (typeof attribute !== 'string' || attribute.length === 0 || attribute.length > LIMITS.attribute) {
      throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.#identity, verb, `attribute ${describe(attribute)} is not a non-empty string`)
    }
    if (this.#schema !== undefined && !Object.hasOwn(this.#schema.properties, attribute)) {
      throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.#identity, verb, `attribute '${attribute.slice(0, 64)}' is not in the schema`)
    }
    return attribute as A
  }
}
