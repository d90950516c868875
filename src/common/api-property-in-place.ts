/** Where @nestjs/swagger keeps a property's document metadata (its DECORATORS.API_MODEL_PROPERTIES). */
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';

/**
 * A property's description or example in the OpenAPI document, computed where a TSDoc comment can only hold
 * a literal (text derived from the messenger list). Unlike @ApiProperty it does not list the property
 * first: the Swagger plugin lists it where the class declares it, so a query's parameters keep their order.
 * The snapshot spec (test/openapi-snapshot.e2e-spec.ts) fails if @nestjs/swagger stops reading it.
 */
export function ApiPropertyInPlace(doc: {
  readonly description?: string;
  readonly example?: unknown;
}): PropertyDecorator {
  return (target, key) => {
    const current: unknown = Reflect.getMetadata(API_MODEL_PROPERTIES, target, key);
    Reflect.defineMetadata(API_MODEL_PROPERTIES, { ...(current as object), ...doc }, target, key);
  };
}
