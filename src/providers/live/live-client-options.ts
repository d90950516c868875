/** What every live client's connection takes from the configuration. */
export interface LiveClientOptions {
  /** Longest wait for a connection (TCP and TLS). */
  readonly connectTimeoutMs: number;
  /** Longest a send takes, from the call to the answer's last byte: DISPATCH_SEND_TIMEOUT_MS. */
  readonly sendTimeoutMs: number;
}
