import {
  ApiResponse,
  type ApiResponseCommonMetadata,
  type ExampleObject,
  type HeadersObject,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { ApiErrorDto, type FieldErrorDto } from './api-error.dto';
import type { ErrorCode } from './error-codes';

/**
 * Examples for the OpenAPI document. Each is written once, under components/examples, and the responses that
 * show it refer to it: the 401 examples alone would otherwise be repeated on every operation.
 */
export interface ApiExample {
  readonly name: string;
  readonly summary: string;
  readonly value: unknown;
}

const EXAMPLES = new Map<string, ApiExample>();

/** Defines an example; `name` is its key under components/examples. */
export function apiExample(name: string, summary: string, value: unknown): ApiExample {
  if (EXAMPLES.has(name)) throw new Error(`Two OpenAPI examples are named ${name}`);
  const example = { name, summary, value };
  EXAMPLES.set(name, example);
  return example;
}

/** The Retry-After header of a response, with a typical value. */
export const retryAfterHeader = (seconds: number): HeadersObject => ({
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', example: seconds } },
});

/** An example error answer; `fieldError` is the one field at fault, for the errors that name one. */
export function apiErrorExample(
  name: string,
  summary: string,
  statusCode: number,
  code: ErrorCode,
  message: string,
  fieldError?: FieldErrorDto,
): ApiExample {
  return apiExample(name, summary, { statusCode, code, message, ...(fieldError && { errors: [fieldError] }) });
}

const EXAMPLE_PATH = '#/components/examples/';

type ExampleResponseOptions = Omit<ApiResponseCommonMetadata, 'examples'> & {
  readonly examples: readonly ApiExample[];
};

/** A response whose examples are references to components/examples. */
export function ApiExampleResponse({ examples, ...options }: ExampleResponseOptions): MethodDecorator & ClassDecorator {
  const references = Object.fromEntries(examples.map(({ name }) => [name, { $ref: `${EXAMPLE_PATH}${name}` }]));
  // ApiResponse's types allow inline examples only; a Reference Object is as valid there (OpenAPI 3.0).
  return ApiResponse({ ...options, examples: references as never });
}

/** An error response: the ApiErrorDto shape, with its examples. */
export function ApiErrorResponse(
  options: Omit<ExampleResponseOptions, 'type'> & { readonly status: number },
): MethodDecorator & ClassDecorator {
  return ApiExampleResponse({ ...options, type: ApiErrorDto });
}

/**
 * Puts into components/examples the examples the document refers to, and only those (an example of a response
 * the document leaves out, such as the 401 in open mode, is left out with it).
 */
export function addExampleComponents(document: OpenAPIObject): OpenAPIObject {
  const used = new Set<string>();
  JSON.stringify(document, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(EXAMPLE_PATH))
      used.add(value.slice(EXAMPLE_PATH.length));
    return value;
  });
  const examples: Record<string, ExampleObject> = {};
  for (const name of [...used].sort()) {
    const example = EXAMPLES.get(name);
    if (!example) throw new Error(`The OpenAPI document refers to an example that no apiExample() defines: ${name}`);
    examples[name] = { summary: example.summary, value: example.value };
  }
  document.components = { ...document.components, examples };
  return document;
}
