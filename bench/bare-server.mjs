/**
 * The reference servers of bench/compare.ts, in a process of their own: one route that answers a canned
 * response (status, headers and body copied from the simulator), nothing else. Plain JavaScript, run by plain
 * node: no loader in the process, so its speed and memory are those of the server alone.
 *   express: a bare Express 5 app, one route, `express.json()` on a POST (what any real POST route has),
 *            `x-powered-by` and ETags off so the bytes on the wire are the simulator's.
 *   http:    `node:http` answering from the request handler, after reading a POST body: the floor.
 * Started with fork(); the parent sends { kind, method, path, status, headers, body (base64) } (CannedResponse
 * in compare-lib.ts) over IPC and gets { url } back once it listens on 127.0.0.1.
 */
import { createServer } from 'node:http';
import express from 'express';

process.once('message', (message) => {
  const body = Buffer.from(message.body, 'base64');
  let server;
  if (message.kind === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    const answer = (_req, res) => {
      res.status(message.status).set(message.headers).send(body);
    };
    if (message.method === 'POST') app.post(message.path, express.json(), answer);
    else app.get(message.path, answer);
    server = app.listen(0, '127.0.0.1');
  } else {
    const headers = { ...message.headers, 'content-length': String(body.length) };
    server = createServer((req, res) => {
      const write = () => {
        res.writeHead(message.status, headers);
        res.end(body);
      };
      if (req.method === 'POST') {
        req.resume();
        req.once('end', write);
      } else write();
    }).listen(0, '127.0.0.1');
  }
  server.once('listening', () => {
    process.send({ url: `http://127.0.0.1:${server.address().port}` });
  });
});
