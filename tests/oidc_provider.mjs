// A real OpenID provider (the npm package oidc-provider, pinned in package.json) for the single
// sign-on tests: `node tests/oidc_provider.mjs` with OIDC_APP_BASE (the test app's address,
// e.g. http://127.0.0.1:5123). It listens on a free loopback port and prints one line,
// `listening <issuer>`, when its discovery document answers.
//
// Two confidential clients (secret, PKCE required) redirect to the app: `portefolje` (the app's)
// and `anden-app` (another app of the municipality, for the "ID token for another client" test).
// The dev interactions serve the login form (any password; the login name is the account id),
// and a first-party grant is made without a consent page. Accounts carry email,
// email_verified, name and a `groups` claim, released for the `groups` scope.
import Provider from 'oidc-provider';

const appBase = process.env.OIDC_APP_BASE;
if (!appBase) {
  console.error('OIDC_APP_BASE is not set');
  process.exit(2);
}

const ACCOUNTS = {
  // A chief (process owner of the demo's Børn & Familie projects) in the chiefs' group.
  chef: {
    email: 'Lise.Holm@kommune.example', email_verified: true, name: 'Lise Holm',
    groups: ['alle-ansatte', 'portefolje-chefer'],
  },
  // Staff in no group that gives access.
  udenfor: {
    email: 'ulla.udenfor@kommune.example', email_verified: true, name: 'Ulla Udenfor',
    groups: ['alle-ansatte'],
  },
};

const SCOPES = 'openid email profile groups';

const configuration = {
  clients: [
    {
      client_id: 'portefolje',
      client_secret: 'portefolje-hemmelighed',
      redirect_uris: [`${appBase}/login/sso/svar`],
      post_logout_redirect_uris: [`${appBase}/login`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'anden-app',
      client_secret: 'anden-hemmelighed',
      redirect_uris: [`${appBase}/login/sso/svar`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  pkce: { required: () => true },
  scopes: SCOPES.split(' '),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
  // First-party clients: no consent page; the grant covers the scopes asked for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
  cookies: { keys: ['oidc-test-cookie-key'] },
};

const server = (await import('node:http')).createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});
