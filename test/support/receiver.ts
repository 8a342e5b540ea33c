/**
 * A webhook receiver that is down without giving up its port. Closing a receiver and listening on its port
 * again later races every other process's listen(0) for that port: on a loaded machine another test worker
 * can take it in between (EADDRINUSE, or attempts answered by someone else's server). This one stays bound
 * and, while down, destroys each connection as it arrives, before reading a byte of the request: the attempt
 * fails with no status and ECONNRESET (the connection was reset, where a closed port refuses it).
 */
import { listenForHooks, type Answer, type Receiver } from '../webhooks/receiver.ts';

export interface DownReceiver {
  /** The URL to subscribe; the same once the receiver is up. */
  url: string;
  /**
   * Answers from now on, as `startReceiver` does: `answer` decides each status from the request number
   * (1-based, counted from here, since nothing was read while down), 200 by default.
   */
  up(answer?: Answer): Receiver;
  close(): Promise<void>;
}

/** What the delivery log says of an attempt on a down receiver: the receiver dropped the connection. */
export const DROPPED = /ECONNRESET|EPIPE/;

export async function startDownReceiver(): Promise<DownReceiver> {
  let answer: Answer | undefined;
  const receiver = await listenForHooks(() => answer);
  return {
    url: receiver.url,
    up(given = () => 200) {
      answer = given;
      return receiver;
    },
    close: receiver.close,
  };
}
