/** A worker for RequestWorker's tests: answers { text } with its text upper-cased, fails on 'fail', dies on 'die'. */
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', ({ id, text }: { id: number; text: string }) => {
  if (text === 'die') process.exit(3);
  if (text === 'fail') parentPort!.postMessage({ id, ok: false, message: 'That text is not allowed.', code: 'bad-text' });
  else parentPort!.postMessage({ id, ok: true, text: text.toUpperCase() });
});
