#!/usr/bin/env node
// azure_token_server.js: a local Microsoft Entra ID token endpoint for the connector tests:
// the OAuth 2.0 client-credentials flow that strm's Azure connector uses (AZURE_AUTHORITY_HOST
// points at it). Node.js only, no packages. HTTPS, as Azure's SDKs require.
//
//   node azure_token_server.js --cert CERT.pem --key KEY.pem --tenant T --client-id C
//                              --client-secret S [--port 0]
//
// POST /T/oauth2/v2.0/token with grant_type=client_credentials, client_id=C, client_secret=S
// and scope=https://storage.azure.com/.default answers {"token_type": "Bearer", "expires_in",
// "access_token"}; anything else gets Entra ID's error form ({"error": "invalid_client", ...}).
// The access token is a JWT with the claims Azurite's `--oauth basic` checks (issuer
// https://sts.windows.net/T/, audience https://storage.azure.com, nbf/iat/exp); Azurite does
// not check its signature, so it is a random one. Prints "azure_token_server listening on
// 127.0.0.1:PORT" when ready, and "token issued" for each token.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const tenant = arg('--tenant', '');
const clientId = arg('--client-id', '');
const clientSecret = arg('--client-secret', '');
const b64url = (x) => Buffer.from(x).toString('base64url');

function refuse(res, status, error, description) {
  const body = JSON.stringify({error, error_description: description});
  res.writeHead(status, {'Content-Type': 'application/json'});
  res.end(body);
}

const server = https.createServer({
  cert: fs.readFileSync(arg('--cert', '')),
  key: fs.readFileSync(arg('--key', '')),
}, (req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== `/${tenant}/oauth2/v2.0/token`) {
      return refuse(res, 404, 'invalid_request', `AADSTS90002: Tenant or path not found: ${req.url}`);
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      return refuse(res, 400, 'unsupported_grant_type', 'AADSTS70003: grant_type must be client_credentials');
    }
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return refuse(res, 401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    }
    if (form.get('scope') !== 'https://storage.azure.com/.default') {
      return refuse(res, 400, 'invalid_scope', `AADSTS70011: The scope '${form.get('scope')}' is not valid.`);
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {aud: 'https://storage.azure.com', iss: `https://sts.windows.net/${tenant}/`,
                    iat: now - 5, nbf: now - 5, exp: now + 3600, appid: clientId, tid: tenant};
    const token = [b64url(JSON.stringify({alg: 'RS256', typ: 'JWT'})),
                   b64url(JSON.stringify(claims)), b64url(crypto.randomBytes(64))].join('.');
    console.log('token issued');
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end(JSON.stringify({token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600,
                            access_token: token}));
  });
});

server.listen(Number(arg('--port', '0')), '127.0.0.1', () => {
  console.log(`azure_token_server listening on 127.0.0.1:${server.address().port}`);
});
