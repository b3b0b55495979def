#!/usr/bin/env node
// fault_proxy.js: an HTTP(S) proxy for the connector tests that forwards to an object store and
// injects the faults a real store shows now and then. Node.js only, no packages.
//
//   node fault_proxy.js --upstream http(s)://127.0.0.1:PORT [--port 0] [--every K] [--fail N]
//                       [--down] [--dialect s3|azure|gcs] [--cert FILE --key FILE] [--ca FILE]
//
// Every K-th request (K = 3 by default) fails, N times in all (N = 6 by default), cycling
// through: 503 "slow down", a connection reset, 500 internal error, 429. All other requests are
// forwarded unchanged (the Host header too, so signatures stay valid). With --down every
// request gets a 503. Error answers are in the store's dialect (--dialect, s3 by default): S3's
// <Error><Code>SlowDown</Code>..., Azure's ServerBusy (its code in x-ms-error-code too), GCS's
// JSON {"error": {"errors": [{"reason": "backendError"}], ...}}.
// With --cert and --key the proxy speaks HTTPS (Azurite's OAuth needs it); an https upstream
// is verified against --ca if given, else against Node's CAs and NODE_EXTRA_CA_CERTS.
// Prints "fault_proxy listening on 127.0.0.1:PORT" when ready, and one line per injected fault.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const upstream = new URL(arg('--upstream', ''));
const port = Number(arg('--port', '0'));
const every = Number(arg('--every', '3'));
let faultsLeft = Number(arg('--fail', '6'));
const down = process.argv.includes('--down');
const dialect = arg('--dialect', 's3');
const cert = arg('--cert', '');
const key = arg('--key', '');
const ca = arg('--ca', '');
if (!['s3', 'azure', 'gcs'].includes(dialect)) {
  console.error(`fault_proxy: unknown --dialect ${dialect}`);
  process.exit(2);
}
const kinds = ['slowdown', 'reset', 'internal', 'throttle'];
let requests = 0;
let injected = 0;

// An error answer as the store would give it. `kind` is slowdown, internal or throttle.
function storeError(res, kind) {
  const status = {slowdown: 503, internal: 500, throttle: 429}[kind];
  let type = 'application/xml';
  let headers = {};
  let body;
  if (dialect === 'gcs') {
    const reason = {slowdown: 'backendError', internal: 'backendError',
      throttle: 'rateLimitExceeded'}[kind];
    type = 'application/json; charset=UTF-8';
    body = JSON.stringify({error: {code: status, message: `Injected by fault_proxy (${kind})`,
      errors: [{message: 'Injected by fault_proxy', domain: 'global', reason}]}});
  } else if (dialect === 'azure') {
    const code = {slowdown: 'ServerBusy', internal: 'InternalError',
      throttle: 'ServerBusy'}[kind];
    headers = {'x-ms-error-code': code};
    body = '<?xml version="1.0" encoding="utf-8"?>' +
        `<Error><Code>${code}</Code><Message>Injected by fault_proxy (${kind}).</Message></Error>`;
  } else {
    const [code, message] = {slowdown: ['SlowDown', 'Please reduce your request rate.'],
      internal: ['InternalError', 'We encountered an internal error.'],
      throttle: ['TooManyRequests', 'Too many requests.']}[kind];
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  }
  res.writeHead(status,
      {...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
}

function handle(req, res) {
  requests++;
  if (down) {
    req.resume();
    return storeError(res, 'slowdown');
  }
  if (faultsLeft > 0 && requests % every === 0) {
    faultsLeft--;
    const kind = kinds[injected++ % kinds.length];
    console.log(`fault ${injected}: ${kind} for ${req.method} ${req.url.split('?')[0]}`);
    req.resume();
    if (kind === 'reset') return req.socket.destroy();  // a reset in the middle of the exchange
    return storeError(res, kind);
  }
  const client = upstream.protocol === 'https:' ? https : http;
  const options = {
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers: req.headers,
  };
  if (ca) options.ca = fs.readFileSync(ca);
  const out = client.request(options, (up) => {
    res.writeHead(up.statusCode, up.headers);
    up.pipe(res);
  });
  out.on('error', (e) => {
    res.destroy(e);
  });
  req.pipe(out);
}

const server = cert
  ? https.createServer({cert: fs.readFileSync(cert), key: fs.readFileSync(key)}, handle)
  : http.createServer(handle);
server.listen(port, '127.0.0.1', () => {
  console.log(`fault_proxy listening on 127.0.0.1:${server.address().port}`);
});
