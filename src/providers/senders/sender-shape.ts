import { MIN_SECRET_LENGTH } from '../../auth/api-keys';

/** One credential field of a messenger's sender account. */
export interface CredentialField {
  /** A secret is never shown, and goes to the log scrubber (senderSecrets). */
  readonly secret: boolean;
  /** What is wrong with a string value, said without quoting it; undefined when it is fine. */
  readonly check: (value: string) => string | undefined;
}

/** What a sender account of one messenger holds besides the fields every account has. */
export interface SenderShape {
  /** The public API root, as the messenger documents it. */
  readonly defaultBaseUrl: string;
  /** Every field listed is required. */
  readonly credentials: Readonly<Record<string, CredentialField>>;
}

/** Printable ASCII without spaces: what an HTTP header carries unchanged. */
export const HEADER_SAFE = /^[\x21-\x7E]+$/;
/** Characters a URL path segment carries as they are (RFC 3986 unreserved, and ":"). */
export const PATH_SAFE = /^[A-Za-z0-9:._~-]+$/;
/** Longer than any token the messengers issue; bounds what a header or a URL carries. */
const MAX_TOKEN_LENGTH = 4096;

/** A secret token of `allowed` characters, `rule` saying which. */
export const token = (allowed: RegExp, rule: string): CredentialField => ({
  secret: true,
  check: (value) => {
    if (value.length < MIN_SECRET_LENGTH || value.length > MAX_TOKEN_LENGTH) {
      return `token must be ${MIN_SECRET_LENGTH}-${MAX_TOKEN_LENGTH} characters`;
    }
    return allowed.test(value) ? undefined : `token must be ${rule}`;
  },
});

/** A field that is no secret: shown in problems, logs and GET. */
export const plain = (check: CredentialField['check']): CredentialField => ({ secret: false, check });
