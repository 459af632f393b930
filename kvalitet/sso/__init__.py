"""Single sign-on with the municipality's identity provider (OpenID Connect and SAML 2.0)."""
