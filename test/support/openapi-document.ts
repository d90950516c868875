import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Operation {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operation: OperationObject;
}

export interface DocumentedExample {
  readonly name: string;
  readonly value: unknown;
}

/** An answer as supertest gives it. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

const SCHEMAS_ID = 'openapi';

/**
 * /docs-json, read as a client generator reads it: the operations, their responses with the examples resolved,
 * and a JSON Schema validator (ajv) for each response's body. OpenAPI 3.0 schemas are not quite JSON Schema:
 * `nullable` becomes a null type, and objects are closed (additionalProperties: false), so that a field the
 * document does not declare fails as surely as a missing one.
 */
export class OpenApiDocument {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<unknown, ValidateFunction>();

  constructor(readonly document: OpenAPIObject) {
    addFormats(this.ajv);
    this.ajv.addSchema({ components: { schemas: toJsonSchema(document.components?.schemas ?? {}) } }, SCHEMAS_ID);
  }

  operations(): Operation[] {
    return Object.entries(this.document.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method]! })),
    );
  }

  operation(method: HttpMethod, path: string): OperationObject {
    const operation = this.document.paths[path]?.[method];
    if (!operation) throw new Error(`The document has no ${method.toUpperCase()} ${path}`);
    return operation;
  }

  response(method: HttpMethod, path: string, status: number | string): ResponseObject | undefined {
    return this.operation(method, path).responses[String(status)] as ResponseObject | undefined;
  }

  /** The examples of a response, their references resolved. */
  examples(method: HttpMethod, path: string, status: number | string): DocumentedExample[] {
    const media = this.response(method, path, status)?.content?.['application/json'];
    return Object.entries(media?.examples ?? {}).map(([name, example]) => {
      if (!('$ref' in example)) return { name, value: example.value as unknown };
      const target = example.$ref.replace('#/components/examples/', '');
      const resolved = this.document.components?.examples?.[target];
      if (!resolved || '$ref' in resolved)
        throw new Error(`${method.toUpperCase()} ${path} ${status}: ${example.$ref} leads nowhere`);
      return { name, value: resolved.value as unknown };
    });
  }

  /** Why `value` does not fit the schema of this response (an empty list when it does). */
  mismatches(method: HttpMethod, path: string, status: number | string, value: unknown): string[] {
    const schema = this.response(method, path, status)?.content?.['application/json']?.schema;
    if (!schema) return [`${method.toUpperCase()} ${path} ${status} declares no JSON body`];
    return this.mismatchesOf(schema, value);
  }

  /** Why `body` does not fit the request body this operation declares. */
  requestMismatches(method: HttpMethod, path: string, body: unknown): string[] {
    const requestBody = this.operation(method, path).requestBody;
    const schema =
      requestBody && 'content' in requestBody ? requestBody.content['application/json']?.schema : undefined;
    if (!schema) return [`${method.toUpperCase()} ${path} declares no JSON request body`];
    return this.mismatchesOf(schema, body);
  }

  /** Why `value` does not fit `schema`, a schema of the document (its $refs point into components). */
  mismatchesOf(schema: unknown, value: unknown): string[] {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema) as object);
      this.validators.set(schema, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
  }

  /**
   * Fails unless the document declares this answer: its status among the operation's responses, a JSON body,
   * and the body fits the declared schema.
   */
  expectDeclared(method: HttpMethod, path: string, answer: Answer): void {
    const declared = Object.keys(this.operation(method, path).responses);
    const where = `${method.toUpperCase()} ${path} answered ${answer.status}`;
    if (!declared.includes(String(answer.status))) {
      throw new Error(`${where}, a status the document does not declare (it declares ${declared.join(', ')})`);
    }
    if (!/^application\/json\b/.test(answer.headers['content-type'] ?? '')) {
      throw new Error(`${where} with content-type ${answer.headers['content-type']}, not JSON`);
    }
    const mismatches = this.mismatches(method, path, answer.status, answer.body);
    if (mismatches.length > 0) {
      throw new Error(
        `${where} with a body the document does not describe:\n  ${mismatches.join('\n  ')}\n${JSON.stringify(answer.body)}`,
      );
    }
  }
}

/** OpenAPI 3.0 schema -> JSON Schema: `nullable` as a null type, closed objects, $refs into the schemas added above. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const { nullable, ...fields } = node as Record<string, unknown>;
  const schema: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'example' || key === 'examples' || key === 'enum' || key === 'default') schema[key] = value;
    else if (key === '$ref' && typeof value === 'string' && value.startsWith('#/'))
      schema[key] = `${SCHEMAS_ID}${value}`;
    else schema[key] = toJsonSchema(value);
  }
  if (schema.type === 'object' && schema.properties && !('additionalProperties' in schema))
    schema.additionalProperties = false;
  if (nullable !== true) return schema;
  if (typeof schema.type === 'string') {
    return {
      ...schema,
      type: [schema.type, 'null'],
      ...(Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {}),
    };
  }
  return { anyOf: [schema, { type: 'null' }] };
}
