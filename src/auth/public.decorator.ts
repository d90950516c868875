import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:isPublic';

/**
 * Serves a controller or route without an API key and outside the rate limit: probes and scrapes, which an
 * orchestrator and Prometheus make without credentials. Everything else needs a key (the guards are global).
 */
export const Public = () => SetMetadata(IS_PUBLIC, true);
