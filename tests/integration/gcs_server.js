#!/usr/bin/env node
// gcs_server.js: a local Google Cloud Storage server for strm's tests. It speaks the subset
// of the JSON API that strm's GCS connector uses (src/storage/gcs_store.h), and Google's
// OAuth "JWT bearer" token endpoint, for which it really checks the RS256 signature of the
// service account's JWT. Node.js 20, no dependencies (http and crypto only).
//
// Usage:
//   node tests/integration/gcs_server.js --public-key KEY.pub.pem [--port 0] [--dir DIR]
//        [--bucket NAME]... [--client-email EMAIL] [--token-lifetime SECONDS] [--fault JSON]...
//
//   --public-key FILE     PEM public key (or the key pair) whose signatures /token accepts;
//                         repeat for several service accounts. Required.
//   --port N              TCP port on 127.0.0.1; 0 (the default) picks a free one.
//   --dir DIR             keep objects as files DIR/<bucket>/<object name> (a directory per
//                         '/'), and load those already there; default: in memory. Upload
//                         sessions are always in memory.
//   --bucket NAME         a bucket that exists; repeatable. Without any (and without
//                         subdirectories of --dir) every bucket name exists.
//   --client-email EMAIL  the only JWT "iss" accepted; default: any.
//   --token-lifetime S    expires_in of issued access tokens, in seconds (default 3600).
//   --fault JSON          a fault armed at start, as POST /_faults takes it; repeatable.
//
// Once it accepts connections it prints "gcs_server listening on 127.0.0.1:PORT". It stops
// on SIGTERM or SIGINT. Give clients the token URI http://127.0.0.1:PORT/token (the JWT's
// "aud" must be exactly that) and the endpoint http://127.0.0.1:PORT (STORAGE_EMULATOR_HOST).
//
// Served (every storage request needs "Authorization: Bearer <token from /token>", else 401;
// upload session URIs, like Google's, need none):
//   POST   /token                              grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
//                                              &assertion=JWT -> {access_token, expires_in, token_type}
//   GET    /storage/v1/b/B/o?prefix=&maxResults=&pageToken=   list, sorted by UTF-8 bytes
//   GET    /storage/v1/b/B/o/NAME              metadata; with alt=media the bytes (Range:
//                                              bytes=a-b | a- | -n; generation=G pins a version)
//   DELETE /storage/v1/b/B/o/NAME              204, or 404
//   POST   /storage/v1/b/B/o/NAME/rewriteTo/b/B2/o/NAME2[?maxBytesRewrittenPerCall=N]
//          [&rewriteToken=T]                   copy (objects.rewrite): N bytes a call (a multiple of
//                                              1 MiB; default all), the token of the call before
//                                              goes on; the object appears with the last call
//   POST   /upload/storage/v1/b/B/o?uploadType=media&name=NAME      one-shot upload
//   POST   /upload/storage/v1/b/B/o?uploadType=resumable&name=NAME  -> 200, Location: session URI
//   PUT    SESSION_URI  Content-Range: bytes a-b/TOTAL|*   a chunk: 308 with "Range: bytes=0-N"
//                       (non-final chunks must be multiples of 256 KiB; bytes resent at offsets
//                       the session holds are ignored, as on Google, but must be the same; a
//                       chunk that starts past them is a 400), or 200 + metadata once all are in
//   PUT    SESSION_URI  Content-Range: bytes */TOTAL|*     status query (finalises if complete)
//   DELETE SESSION_URI                         cancels: 499, as Google answers
// NAME is percent-encoded as one path segment: a raw '/' in it is a 404, as on Google.
//
// Test administration (no auth; never faulted):
//   POST   /_faults   arm faults: one object or an array of them, e.g.
//                      {"status":503,"count":3}  answer the next 3 requests with 503
//                      {"reset":2}               close the next 2 requests' connections unanswered
//                    with optional members:
//                      "method":"PUT", "path":"/upload/"  only requests with that method / a URL
//                                                         path starting so (default: all, /token too)
//                      "after":true   (reset) apply the request first, then close: the reply is lost
//                      "keep":N       (reset of a chunk PUT) persist only its first N bytes, then close
//                      "message":"…"  (status) the JSON error message
//   DELETE /_faults   disarm all faults
//   GET    /_stats    counters as JSON: token_requests, tokens_issued, token_rejections,
//                     unauthorized, storage_requests, media_uploads, sessions_started,
//                     sessions_completed, sessions_cancelled, chunk_puts, status_queries,
//                     chunk_bytes (bytes a session took, each once), rewrite_calls,
//                     rewrites_completed, faults_injected,
//                     faults_armed, open_sessions, objects, token_lifetime
//   POST   /_config   {"token_lifetime": SECONDS}: for tokens issued from now on
//   POST   /_revoke   forget every issued access token (their next use is a 401)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

const CHUNK_UNIT = 256 * 1024;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const WRITE_SCOPES = new Set([
  'https://www.googleapis.com/auth/devstorage.read_write',
  'https://www.googleapis.com/auth/devstorage.full_control',
  'https://www.googleapis.com/auth/cloud-platform',
]);
const READ_SCOPES = new Set([...WRITE_SCOPES, 'https://www.googleapis.com/auth/devstorage.read_only',
  'https://www.googleapis.com/auth/cloud-platform.read-only']);

// ---- command line ------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { publicKeys: [], port: 0, dir: '', buckets: [], clientEmail: '', tokenLifetime: 3600,
    faults: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--public-key': opts.publicKeys.push(value()); break;
      case '--port': opts.port = Number(value()); break;
      case '--dir': opts.dir = value(); break;
      case '--bucket': opts.buckets.push(value()); break;
      case '--client-email': opts.clientEmail = value(); break;
      case '--token-lifetime': opts.tokenLifetime = Number(value()); break;
      case '--fault': opts.faults.push(value()); break;
      case '-h': case '--help':
        process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n\'use strict\'')[0] + '\n');
        process.exit(0);
      default: fail(`unknown argument ${flag} (see --help)`);
    }
  }
  if (opts.publicKeys.length === 0) fail('--public-key is required');
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) fail('--port must be 0..65535');
  if (!(opts.tokenLifetime > 0)) fail('--token-lifetime must be a positive number of seconds');
  return opts;
}

function fail(message) {
  process.stderr.write(`gcs_server: ${message}\n`);
  process.exit(2);
}

// ---- objects -----------------------------------------------------------------------------

let lastGeneration = Date.now() * 1000;
function nextGeneration() { return ++lastGeneration; }

// GCS lists names in the order of their UTF-8 bytes, which JavaScript's UTF-16 order is not.
function compareNames(a, b) { return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')); }

function describeObject(bucket, name, meta) {
  return {
    kind: 'storage#object', id: `${bucket}/${name}/${meta.generation}`, name, bucket,
    generation: String(meta.generation), metageneration: '1', contentType: meta.contentType,
    size: String(meta.size), md5Hash: meta.md5, storageClass: 'STANDARD',
    timeCreated: meta.updated, updated: meta.updated,
  };
}

function newMeta(data, contentType) {
  return { generation: nextGeneration(), size: data.length, contentType: contentType || 'application/octet-stream',
    md5: crypto.createHash('md5').update(data).digest('base64'), updated: new Date().toISOString() };
}

// Objects in memory: bucket -> name -> {meta, data}.
class MemoryObjects {
  constructor() { this.buckets = new Map(); }
  bucketNames() { return [...this.buckets.keys()]; }
  map(bucket) {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
    return this.buckets.get(bucket);
  }
  get(bucket, name) { return this.map(bucket).get(name)?.meta; }
  read(bucket, name, start, end) { return this.map(bucket).get(name).data.subarray(start, end); }
  put(bucket, name, data, contentType) {
    const meta = newMeta(data, contentType);
    this.map(bucket).set(name, { meta, data });
    return meta;
  }
  delete(bucket, name) { return this.map(bucket).delete(name); }
  names(bucket) { return [...this.map(bucket).keys()]; }
  count() { let n = 0; for (const m of this.buckets.values()) n += m.size; return n; }
}

// Objects as files DIR/<bucket>/<name>, written to DIR/.tmp first and renamed into place.
class DirObjects {
  constructor(root) {
    this.root = path.resolve(root);
    this.tmp = path.join(this.root, '.tmp');
    fs.mkdirSync(this.tmp, { recursive: true });
    this.index = new Map();  // bucket -> name -> meta
    for (const entry of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === '.tmp') continue;
      const names = this.map(entry.name);
      const walk = (dir, prefix) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isDirectory()) walk(full, prefix + e.name + '/');
          else if (e.isFile()) names.set(prefix + e.name, newMeta(fs.readFileSync(full)));
        }
      };
      walk(path.join(this.root, entry.name), '');
    }
  }
  bucketNames() { return [...this.index.keys()]; }
  map(bucket) {
    if (!this.index.has(bucket)) this.index.set(bucket, new Map());
    return this.index.get(bucket);
  }
  file(bucket, name) {
    const segments = name.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0')))
      throw new HttpError(400, 'invalid', `gcs_server --dir cannot store the object name '${name}' as a file`);
    return path.join(this.root, bucket, ...segments);
  }
  get(bucket, name) { return this.map(bucket).get(name); }
  read(bucket, name, start, end) {
    const fd = fs.openSync(this.file(bucket, name), 'r');
    try {
      const buf = Buffer.alloc(end - start);
      let done = 0;
      while (done < buf.length) {
        const n = fs.readSync(fd, buf, done, buf.length - done, start + done);
        if (n === 0) break;
        done += n;
      }
      return buf.subarray(0, done);
    } finally { fs.closeSync(fd); }
  }
  put(bucket, name, data, contentType) {
    const target = this.file(bucket, name);
    const tmp = path.join(this.tmp, crypto.randomBytes(8).toString('hex'));
    fs.writeFileSync(tmp, data);
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(tmp, target);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw new HttpError(409, 'conflict', `gcs_server --dir cannot store '${name}' next to another object: ${e.code}`);
    }
    const meta = newMeta(data, contentType);
    this.map(bucket).set(name, meta);
    return meta;
  }
  delete(bucket, name) {
    if (!this.map(bucket).delete(name)) return false;
    let file = this.file(bucket, name);
    fs.rmSync(file, { force: true });
    // Drop directories that only held this object.
    const top = path.join(this.root, bucket);
    for (file = path.dirname(file); file.startsWith(top + path.sep); file = path.dirname(file)) {
      try { fs.rmdirSync(file); } catch { break; }
    }
    return true;
  }
  names(bucket) { return [...this.map(bucket).keys()]; }
  count() { let n = 0; for (const m of this.index.values()) n += m.size; return n; }
}

// ---- server state ------------------------------------------------------------------------

const opts = parseArgs(process.argv.slice(2));
const publicKeys = opts.publicKeys.map((file) => {
  try { return crypto.createPublicKey(fs.readFileSync(file)); } catch (e) { fail(`cannot load the public key ${file}: ${e.message}`); }
});
const objects = opts.dir ? new DirObjects(opts.dir) : new MemoryObjects();
const buckets = new Set([...opts.buckets, ...objects.bucketNames()]);
for (const b of opts.buckets) {
  objects.map(b);
  if (opts.dir) fs.mkdirSync(path.join(opts.dir, b), { recursive: true });  // kept across restarts
}
let tokenLifetime = opts.tokenLifetime;
const tokens = new Map();    // access token -> {expires (ms), scopes}
const sessions = new Map();  // upload_id -> {bucket, name, contentType, parts, size, done}
let faults = [];
const stats = {
  token_requests: 0, tokens_issued: 0, token_rejections: 0, unauthorized: 0, storage_requests: 0,
  media_uploads: 0, sessions_started: 0, sessions_completed: 0, sessions_cancelled: 0,
  chunk_puts: 0, status_queries: 0, chunk_bytes: 0, rewrite_calls: 0, rewrites_completed: 0,
  faults_injected: 0,
};

class HttpError extends Error {
  constructor(status, reason, message, headers = {}) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.headers = headers;
  }
}

function armFaults(spec) {
  for (const f of Array.isArray(spec) ? spec : [spec]) {
    if (typeof f !== 'object' || f === null) throw new HttpError(400, 'invalid', 'a fault is a JSON object');
    const fault = { method: f.method ? String(f.method).toUpperCase() : '', path: f.path ? String(f.path) : '',
      after: Boolean(f.after), keep: f.keep === undefined ? -1 : Number(f.keep), message: f.message };
    if (f.status !== undefined) {
      fault.status = Number(f.status);
      fault.remaining = f.count === undefined ? 1 : Number(f.count);
      if (!(fault.status >= 100 && fault.status < 600)) throw new HttpError(400, 'invalid', 'fault status must be an HTTP status');
    } else if (f.reset !== undefined) {
      fault.reset = true;
      fault.remaining = typeof f.reset === 'number' ? f.reset : (f.count === undefined ? 1 : Number(f.count));
    } else {
      throw new HttpError(400, 'invalid', 'a fault needs "status" or "reset"');
    }
    if (!(fault.remaining > 0)) throw new HttpError(400, 'invalid', 'a fault needs a positive count');
    faults.push(fault);
  }
}

// The first armed fault that matches the request, used up by one.
function takeFault(method, urlPath) {
  for (const f of faults) {
    if (f.method && f.method !== method) continue;
    if (f.path && !urlPath.startsWith(f.path)) continue;
    if (--f.remaining <= 0) faults = faults.filter((x) => x !== f);
    stats.faults_injected++;
    return f;
  }
  return null;
}

for (const f of opts.faults) {
  try { armFaults(JSON.parse(f)); } catch (e) { fail(`--fault ${f}: ${e.message}`); }
}

// ---- HTTP helpers ------------------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

// Every answer goes through here, so that an "after" fault can drop it.
function send(ctx, status, headers, body) {
  if (ctx.dropReply) {
    ctx.req.socket.destroy();
    return;
  }
  const data = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  ctx.res.writeHead(status, { 'Content-Length': data.length, ...headers });
  ctx.res.end(data);
}

function sendJson(ctx, status, value, headers = {}) {
  send(ctx, status, { 'Content-Type': 'application/json; charset=UTF-8', ...headers }, JSON.stringify(value));
}

// Google's JSON API error document.
function sendError(ctx, status, reason, message, headers = {}) {
  sendJson(ctx, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }, headers);
}

function parseQuery(rawQuery) {
  // URLSearchParams reads '+' as a space, as Google does in query strings.
  return new URLSearchParams(rawQuery);
}

function decodeSegment(raw) {
  try { return decodeURIComponent(raw); } catch { throw new HttpError(400, 'invalid', 'Invalid percent-encoding in the URL path'); }
}

// ---- OAuth token endpoint ----------------------------------------------------------------

function tokenError(ctx, error, description) {
  stats.token_rejections++;
  sendJson(ctx, 400, { error, error_description: description });
}

function handleToken(ctx, body) {
  stats.token_requests++;
  const form = new URLSearchParams(body.toString('utf8'));
  const grant = form.get('grant_type');
  if (grant !== JWT_BEARER) return tokenError(ctx, 'unsupported_grant_type', `Invalid grant_type: ${grant ?? ''}`);
  const assertion = form.get('assertion') || '';
  const parts = assertion.split('.');
  if (parts.length !== 3) return tokenError(ctx, 'invalid_grant', 'Invalid JWT: not a compact JWS');
  let header, claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return tokenError(ctx, 'invalid_grant', 'Invalid JWT: the header or the claims are not JSON');
  }
  if (header.alg !== 'RS256') return tokenError(ctx, 'invalid_grant', 'Invalid JWT: the algorithm must be RS256');
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], 'base64url');
  if (!publicKeys.some((k) => crypto.verify('sha256', signed, k, signature)))
    return tokenError(ctx, 'invalid_grant', 'Invalid JWT Signature.');
  if (typeof claims.iss !== 'string' || claims.iss === '' || (opts.clientEmail && claims.iss !== opts.clientEmail))
    return tokenError(ctx, 'invalid_grant', 'Invalid email or User ID');
  const audience = `http://${ctx.req.headers.host}/token`;
  if (claims.aud !== audience)
    return tokenError(ctx, 'invalid_grant', `Invalid JWT: Failed audience check. The right audience is ${audience}`);
  const now = Date.now() / 1000;
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.iat > now + 60 ||
      claims.exp <= now || claims.exp - claims.iat > 3600)
    return tokenError(ctx, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a ' +
      'reasonable timeframe. Check your iat and exp values in the JWT claim.');
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  if (!scopes.some((s) => READ_SCOPES.has(s)))
    return tokenError(ctx, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
  const token = 'ya29.' + crypto.randomBytes(24).toString('base64url');
  tokens.set(token, { expires: Date.now() + tokenLifetime * 1000, scopes });
  stats.tokens_issued++;
  sendJson(ctx, 200, { access_token: token, expires_in: tokenLifetime, token_type: 'Bearer' });
}

// Throws 401 unless the request carries a live token with a scope for `write` or reading.
// `optional`: session URIs need no token, but a token that is sent must be valid.
function authorize(req, write, optional = false) {
  const h = req.headers.authorization;
  if (h === undefined && optional) return;
  const m = /^Bearer (\S+)$/.exec(h || '');
  const t = m && tokens.get(m[1]);
  if (!t || t.expires <= Date.now()) {
    stats.unauthorized++;
    throw new HttpError(401, 'authError', 'Invalid Credentials',
      { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' });
  }
  if (!t.scopes.some((s) => (write ? WRITE_SCOPES : READ_SCOPES).has(s)))
    throw new HttpError(403, 'insufficientPermissions', 'Insufficient Permission');
}

// ---- storage endpoints -------------------------------------------------------------------

function checkBucket(bucket) {
  if (buckets.size > 0 && !buckets.has(bucket))
    throw new HttpError(404, 'notFound', 'The specified bucket does not exist.');
}

function checkName(name) {
  if (name === '' || Buffer.byteLength(name) > 1024 || /[\r\n]/.test(name) || name === '.' || name === '..')
    throw new HttpError(400, 'invalid', `The object name '${name}' is invalid.`);
}

function handleList(ctx, bucket, query) {
  if (query.has('delimiter')) throw new HttpError(400, 'invalid', 'gcs_server does not support delimiter');
  const prefix = query.get('prefix') || '';
  const max = Math.min(Number(query.get('maxResults') || 1000) || 1000, 1000);
  const token = query.get('pageToken');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : null;
  const names = objects.names(bucket).filter((n) => n.startsWith(prefix) && (after === null || compareNames(n, after) > 0));
  names.sort(compareNames);
  const page = names.slice(0, max);
  const out = { kind: 'storage#objects' };
  if (page.length > 0) out.items = page.map((n) => describeObject(bucket, n, objects.get(bucket, n)));
  if (names.length > max) out.nextPageToken = Buffer.from(page[page.length - 1], 'utf8').toString('base64url');
  sendJson(ctx, 200, out);
}

// The [start, end) of a Range header against `size`, or null for the whole; throws 416.
function parseRange(header, size) {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;  // ignored, as HTTP says of bad ranges
  let start, end;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (start >= size || end <= start)
    throw new HttpError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.',
      { 'Content-Range': `bytes */${size}` });
  return [start, end];
}

function handleObject(ctx, method, bucket, name, query) {
  const meta = objects.get(bucket, name);
  const generation = query.get('generation');
  if (!meta || (generation !== null && generation !== String(meta.generation)))
    throw new HttpError(404, 'notFound', `No such object: ${bucket}/${name}`);
  if (method === 'DELETE') {
    objects.delete(bucket, name);
    return send(ctx, 204, {});
  }
  if (query.get('alt') !== 'media') return sendJson(ctx, 200, describeObject(bucket, name, meta));
  const headers = { 'Content-Type': meta.contentType, 'x-goog-generation': String(meta.generation),
    'x-goog-stored-content-length': String(meta.size), 'x-goog-hash': `md5=${meta.md5}`, 'Accept-Ranges': 'bytes' };
  const range = parseRange(ctx.req.headers.range, meta.size);
  if (range === null) return send(ctx, 200, headers, objects.read(bucket, name, 0, meta.size));
  const [start, end] = range;
  send(ctx, 206, { ...headers, 'Content-Range': `bytes ${start}-${end - 1}/${meta.size}` },
    objects.read(bucket, name, start, end));
}

// objects.rewrite: the token holds the source generation and the bytes done so far; a source
// replaced meanwhile is a 404, as when the generation no longer exists.
function handleRewrite(ctx, srcBucket, srcName, dstBucket, dstName, query) {
  checkName(dstName);
  const meta = objects.get(srcBucket, srcName);
  const token = query.get('rewriteToken');
  let state = null;
  if (token) {
    try { state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')); } catch { state = null; }
    if (!state || typeof state.done !== 'number') throw new HttpError(400, 'invalid', 'Invalid rewriteToken');
  }
  if (!meta || (state && String(state.generation) !== String(meta.generation)))
    throw new HttpError(404, 'notFound', `No such object: ${srcBucket}/${srcName}`);
  const max = Number(query.get('maxBytesRewrittenPerCall') || 0);
  if (!(max >= 0) || max % (1 << 20) !== 0)
    throw new HttpError(400, 'invalid', 'maxBytesRewrittenPerCall must be a multiple of 1048576');
  stats.rewrite_calls++;
  const done = Math.min(meta.size, (state ? state.done : 0) + (max > 0 ? max : meta.size));
  const progress = { kind: 'storage#rewriteResponse', totalBytesRewritten: String(done), objectSize: String(meta.size) };
  if (done < meta.size) {
    const next = Buffer.from(JSON.stringify({ generation: String(meta.generation), done }), 'utf8').toString('base64url');
    return sendJson(ctx, 200, { ...progress, done: false, rewriteToken: next });
  }
  const copied = objects.put(dstBucket, dstName, objects.read(srcBucket, srcName, 0, meta.size), meta.contentType);
  stats.rewrites_completed++;
  sendJson(ctx, 200, { ...progress, done: true, resource: describeObject(dstBucket, dstName, copied) });
}

function handleUploadStart(ctx, bucket, query, body) {
  const name = query.get('name');
  if (name === null) throw new HttpError(400, 'required', 'Required parameter: name');
  checkName(name);
  const type = query.get('uploadType');
  if (type === 'media') {
    stats.media_uploads++;
    const meta = objects.put(bucket, name, body, ctx.req.headers['content-type']);
    return sendJson(ctx, 200, describeObject(bucket, name, meta));
  }
  if (type !== 'resumable') throw new HttpError(400, 'invalid', `gcs_server does not support uploadType=${type}`);
  const id = crypto.randomBytes(16).toString('hex');
  sessions.set(id, { bucket, name, contentType: ctx.req.headers['x-upload-content-type'], parts: [], size: 0, done: null });
  stats.sessions_started++;
  const location = `http://${ctx.req.headers.host}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?` +
    `uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
  send(ctx, 200, { Location: location });
}

// "Range: bytes=0-N" for what a session holds; Google sends no Range while it holds nothing.
function progress(session) { return session.size > 0 ? { Range: `bytes=0-${session.size - 1}` } : {}; }

function finish(ctx, session) {
  if (!session.done) {
    const meta = objects.put(session.bucket, session.name, Buffer.concat(session.parts), session.contentType);
    session.parts = [];
    session.done = describeObject(session.bucket, session.name, meta);
    stats.sessions_completed++;
  }
  sendJson(ctx, 200, session.done);
}

// Bytes [from, to) of what a session holds.
function heldBytes(session, from, to) {
  const out = [];
  let at = 0;
  for (const part of session.parts) {
    const lo = Math.max(from, at), hi = Math.min(to, at + part.length);
    if (lo < hi) out.push(part.subarray(lo - at, hi - at));
    at += part.length;
  }
  return Buffer.concat(out);
}

function handleChunk(ctx, session, body, fault) {
  const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec((ctx.req.headers['content-range'] || '').trim());
  if (!m) throw new HttpError(400, 'invalid', 'Missing or invalid Content-Range header');
  const total = m[3] === '*' ? null : Number(m[3]);
  if (m[1] === undefined) {  // a status query
    if (body.length !== 0) throw new HttpError(400, 'invalid', 'A status query carries no bytes');
    stats.status_queries++;
    if (session.done || (total !== null && total === session.size)) return finish(ctx, session);
    return send(ctx, 308, progress(session));
  }
  stats.chunk_puts++;
  if (session.done) return finish(ctx, session);
  const start = Number(m[1]), end = Number(m[2]) + 1;
  if (end - start !== body.length)
    throw new HttpError(400, 'invalid', `Content-Range covers ${end - start} bytes but the body has ${body.length}`);
  // As on Google, bytes resent at offsets the session already holds are ignored (here they
  // must also equal what it holds); a chunk that would leave a gap is refused.
  if (start > session.size)
    throw new HttpError(400, 'invalid', `The chunk starts at byte ${start} but the session holds only ${session.size} bytes`);
  if (total !== null && end > total) throw new HttpError(400, 'invalid', `The chunk ends past the total size ${total}`);
  const final = total !== null && end === total;
  if (!final && body.length % CHUNK_UNIT !== 0)
    throw new HttpError(400, 'invalid', `A chunk other than the last must be a multiple of ${CHUNK_UNIT} bytes, not ${body.length}`);
  const skip = Math.min(session.size - start, body.length);
  if (!heldBytes(session, start, start + skip).equals(body.subarray(0, skip)))
    throw new HttpError(400, 'invalid', `The chunk's bytes ${start}-${start + skip - 1} differ from those the session holds`);
  let keep = body.length;
  if (fault && fault.reset && fault.keep >= 0) keep = Math.max(skip, Math.min(fault.keep, body.length));
  const accepted = body.subarray(skip, keep);
  session.parts.push(Buffer.from(accepted));
  session.size += accepted.length;
  stats.chunk_bytes += accepted.length;
  if (total !== null && session.size === total) return finish(ctx, session);
  send(ctx, 308, progress(session));
}

function handleSession(ctx, method, query, body, fault) {
  authorize(ctx.req, true, true);
  const session = sessions.get(query.get('upload_id') || '');
  if (!session) throw new HttpError(404, 'notFound', 'No such upload session (cancelled, or never started)');
  if (method === 'DELETE') {
    sessions.delete(query.get('upload_id'));
    stats.sessions_cancelled++;
    return send(ctx, 499, {});
  }
  if (method !== 'PUT') throw new HttpError(405, 'methodNotAllowed', `${method} is not allowed on an upload session`);
  handleChunk(ctx, session, body, fault);
}

// ---- dispatch ----------------------------------------------------------------------------

function handleAdmin(ctx, method, urlPath, body) {
  const json = () => {
    try { return JSON.parse(body.toString('utf8') || '{}'); } catch { throw new HttpError(400, 'invalid', 'the body is not JSON'); }
  };
  if (urlPath === '/_faults' && method === 'POST') { armFaults(json()); return sendJson(ctx, 200, { armed: faults.length }); }
  if (urlPath === '/_faults' && method === 'DELETE') { faults = []; return sendJson(ctx, 200, { armed: 0 }); }
  if (urlPath === '/_stats' && method === 'GET')
    return sendJson(ctx, 200, { ...stats, open_sessions: [...sessions.values()].filter((s) => !s.done).length,
      objects: objects.count(), faults_armed: faults.reduce((n, f) => n + f.remaining, 0),
      token_lifetime: tokenLifetime });
  if (urlPath === '/_config' && method === 'POST') {
    const c = json();
    if (c.token_lifetime !== undefined) {
      if (!(Number(c.token_lifetime) > 0)) throw new HttpError(400, 'invalid', 'token_lifetime must be positive');
      tokenLifetime = Number(c.token_lifetime);
    }
    return sendJson(ctx, 200, { token_lifetime: tokenLifetime });
  }
  if (urlPath === '/_revoke' && method === 'POST') { tokens.clear(); return sendJson(ctx, 200, {}); }
  throw new HttpError(404, 'notFound', `No admin route ${method} ${urlPath}`);
}

async function handle(req, res) {
  const ctx = { req, res, dropReply: false };
  const method = req.method;
  const q = req.url.indexOf('?');
  const urlPath = q < 0 ? req.url : req.url.slice(0, q);
  const query = parseQuery(q < 0 ? '' : req.url.slice(q + 1));
  const admin = urlPath.startsWith('/_');
  const fault = admin ? null : takeFault(method, urlPath);
  if (fault && fault.reset && !fault.after && fault.keep < 0) {
    req.socket.destroy();
    return;
  }
  const body = await readBody(req);
  if (fault && fault.reset) ctx.dropReply = true;
  try {
    if (fault && fault.status) throw new HttpError(fault.status, 'injected', fault.message || `Injected fault: HTTP ${fault.status}`);
    if (admin) return handleAdmin(ctx, method, urlPath, body);
    if (urlPath === '/token' && method === 'POST') return handleToken(ctx, body);
    stats.storage_requests++;
    let m = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)\/rewriteTo\/b\/([^/]+)\/o\/([^/]+)$/.exec(urlPath);
    if (m) {
      if (method !== 'POST') throw new HttpError(405, 'methodNotAllowed', `${method} is not allowed on a rewrite`);
      authorize(req, true);
      const [srcBucket, dstBucket] = [decodeSegment(m[1]), decodeSegment(m[3])];
      checkBucket(srcBucket);
      checkBucket(dstBucket);
      return handleRewrite(ctx, srcBucket, decodeSegment(m[2]), dstBucket, decodeSegment(m[4]), query);
    }
    m = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.*))?$/.exec(urlPath);
    if (m) {
      const bucket = decodeSegment(m[1]);
      if (m[2] === undefined) {
        if (method !== 'GET') throw new HttpError(405, 'methodNotAllowed', `${method} is not allowed on a bucket's objects`);
        authorize(req, false);
        checkBucket(bucket);
        return handleList(ctx, bucket, query);
      }
      // The name must be one encoded segment: a '/' left raw does not name an object.
      if (m[2].includes('/')) throw new HttpError(404, 'notFound', `Not Found: ${urlPath}`);
      if (method !== 'GET' && method !== 'DELETE') throw new HttpError(405, 'methodNotAllowed', `${method} is not allowed on an object`);
      authorize(req, method !== 'GET');
      checkBucket(bucket);
      return handleObject(ctx, method, bucket, decodeSegment(m[2]), query);
    }
    m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(urlPath);
    if (m) {
      if (query.has('upload_id')) return handleSession(ctx, method, query, body, fault);
      if (method !== 'POST') throw new HttpError(405, 'methodNotAllowed', `${method} needs an upload_id`);
      authorize(req, true);
      const bucket = decodeSegment(m[1]);
      checkBucket(bucket);
      return handleUploadStart(ctx, bucket, query, body);
    }
    throw new HttpError(404, 'notFound', `Not Found: ${method} ${urlPath}`);
  } catch (e) {
    if (e instanceof HttpError) return sendError(ctx, e.status, e.reason, e.message, e.headers);
    process.stderr.write(`gcs_server: ${method} ${urlPath}: ${e.stack}\n`);
    return sendError(ctx, 500, 'backendError', `gcs_server: ${e.message}`);
  }
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`gcs_server: ${e.stack}\n`);
    req.socket.destroy();
  });
});
server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`gcs_server listening on 127.0.0.1:${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
