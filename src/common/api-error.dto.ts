/** One reason a request was refused. */
export class FieldErrorDto {
  /** Path of the offending field in the request, e.g. `recipients[1].recipient`. @example "recipients[1].recipient" */
  field: string;
  /** Why it was refused. @example "is not a valid whatsapp recipient: expected an E.164 phone number" */
  reason: string;
}

/** Every error the API answers has this shape. */
export class ApiErrorDto {
  /** The HTTP status, repeated for clients that only look at the body. @example 400 */
  statusCode: number;
  /**
   * Stable, machine-readable: VALIDATION_FAILED, MALFORMED_JSON, MESSAGE_NOT_FOUND, NOT_FOUND, DATABASE_UNAVAILABLE, INTERNAL_ERROR…
   * @example "VALIDATION_FAILED"
   */
  code: string;
  /** Human-readable summary. @example "recipients[1].recipient: is not a valid whatsapp recipient" */
  message: string;
  /** Each offending field, for validation errors. */
  errors?: FieldErrorDto[];
}
