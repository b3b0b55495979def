#!/usr/bin/env node
// fault_proxy.js: an HTTP proxy for the connector tests that forwards to an object store and
// injects the faults a real store shows now and then. Node.js only, no packages.
//
//   node fault_proxy.js --upstream http://127.0.0.1:PORT [--port 0] [--every K] [--fail N]
//                       [--down]
//
// Every K-th request (K = 3 by default) fails, N times in all (N = 6 by default), cycling
// through: 503 with S3's SlowDown error, a connection reset, 500 InternalError, 429. All other
// requests are forwarded unchanged (the Host header too, so signatures stay valid). With
// --down every request gets a 503. Prints "fault_proxy listening on 127.0.0.1:PORT" when
// ready, and one line per injected fault.
'use strict';

const http = require('http');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const upstream = new URL(arg('--upstream', ''));
const port = Number(arg('--port', '0'));
const every = Number(arg('--every', '3'));
let faultsLeft = Number(arg('--fail', '6'));
const down = process.argv.includes('--down');
const kinds = ['slowdown', 'reset', 'internal', 'throttle'];
let requests = 0;
let injected = 0;

function s3Error(res, status, code, message) {
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, {'Content-Type': 'application/xml', 'Content-Length': body.length});
  res.end(body);
}

const server = http.createServer((req, res) => {
  requests++;
  if (down) {
    req.resume();
    return s3Error(res, 503, 'ServiceUnavailable', 'The store is down (fault_proxy --down)');
  }
  if (faultsLeft > 0 && requests % every === 0) {
    faultsLeft--;
    const kind = kinds[injected++ % kinds.length];
    console.log(`fault ${injected}: ${kind} for ${req.method} ${req.url.split('?')[0]}`);
    req.resume();
    if (kind === 'slowdown') return s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
    if (kind === 'internal') return s3Error(res, 500, 'InternalError', 'We encountered an internal error.');
    if (kind === 'throttle') return s3Error(res, 429, 'TooManyRequests', 'Too many requests.');
    return req.socket.destroy();  // a reset in the middle of the exchange
  }
  const out = http.request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers: req.headers,
  }, (up) => {
    res.writeHead(up.statusCode, up.headers);
    up.pipe(res);
  });
  out.on('error', (e) => {
    res.destroy(e);
  });
  req.pipe(out);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`fault_proxy listening on 127.0.0.1:${server.address().port}`);
});
