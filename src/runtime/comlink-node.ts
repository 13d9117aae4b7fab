// comlink over node:worker_threads MessagePorts (the control plane between
// the main thread and each worker thread: spawn, stop, restart, stats).
import type { MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpointModule from 'comlink/dist/umd/node-adapter.js';

type Endpoint = Parameters<typeof Comlink.wrap>[0];
// The adapter is a CommonJS module whose default export is the function.
const nodeEndpoint = ((nodeEndpointModule as unknown as { default?: unknown }).default ?? nodeEndpointModule) as (
  port: MessagePort,
) => Endpoint;

/** Call methods of `T` exposed on the other side of `port`; every call returns a promise. */
export type Remote<T> = Comlink.Remote<T>;

export function wrapPort<T>(port: MessagePort): Remote<T> {
  return Comlink.wrap<T>(nodeEndpoint(port));
}

export function exposeOnPort(api: object, port: MessagePort): void {
  Comlink.expose(api, nodeEndpoint(port));
}

export function release(remote: Remote<unknown>): void {
  try {
    (remote as unknown as Record<symbol, () => void>)[Comlink.releaseProxy]!();
  } catch {
    // The other side is gone.
  }
}
