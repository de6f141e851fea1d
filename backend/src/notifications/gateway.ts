// SMS gateway adapter. The outbox worker only knows this interface; the HTTP gateway is the
// real one (most Chinese SMS providers and on-premise SMS modems expose an HTTP JSON API).

export interface SmsMessage {
  /** Mobile number as stored in the unit's contacts. */
  to: string;
  text: string;
  /** Our outbox id, so the gateway can deduplicate retries. */
  ref: string;
}

export interface SmsGateway {
  /** Resolves when the gateway accepted the message; rejects with SmsGatewayError otherwise. */
  send(msg: SmsMessage): Promise<void>;
}

export class SmsGatewayError extends Error {
  constructor(
    message: string,
    /** Worth retrying later (timeouts, 5xx, 429); false for a refused message (4xx). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * POSTs `{"to", "text", "ref"}` as JSON to `url`, with `Authorization: Bearer <token>` when a
 * token is given, and an `Idempotency-Key: <ref>` header. 2xx = accepted.
 */
export class HttpSmsGateway implements SmsGateway {
  constructor(
    private readonly url: string,
    private readonly opts: { token?: string; timeoutMs?: number } = {},
  ) {}

  async send(msg: SmsMessage): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': msg.ref,
          ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
        },
        body: JSON.stringify(msg),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new SmsGatewayError(`SMS gateway ${this.url} unreachable: ${(err as Error).message}`, true);
    }
    if (res.ok) {
      await res.body?.cancel();
      return;
    }
    const text = (await res.text().catch(() => '')).slice(0, 200);
    const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
    throw new SmsGatewayError(`SMS gateway answered ${res.status}${text ? `: ${text}` : ''}`, retryable);
  }
}
