// The piscina task that makes a pool thread an actor host. It runs for the
// life of the thread: it resolves when the main thread asks it to shut down,
// and if the thread dies, piscina rejects it (that is how the main thread
// learns of the death).
//
// This file runs from dist/ (worker threads load compiled JavaScript, even
// when the main thread runs TypeScript sources under vitest). It knows no
// actor kind itself: every kind comes from the task's kind modules (which
// also register the durable classes their actors use).
import type { ActorFactory } from './actor.js';
import { exposeOnPort } from './comlink-node.js';
import type { HostTask } from './protocol.js';
import { WorkerRuntime } from './worker-host.js';

export default async function hostThread(task: HostTask): Promise<string> {
  const kinds: Record<string, ActorFactory> = {};
  for (const url of task.kindModules) {
    const mod = (await import(url)) as { actorKinds?: Record<string, ActorFactory> };
    Object.assign(kinds, mod.actorKinds ?? {});
  }
  const rt = new WorkerRuntime(task.thread, kinds, task.rings, task.debugHooks);
  exposeOnPort(rt.control, task.controlPort);
  await rt.done;
  task.controlPort.close();
  return task.thread;
}
