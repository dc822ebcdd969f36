//! Identity: who is calling. The bearer token is verified at the identity provider
//! (`verifier`), mapped to an account and sales user (`auth`), and `GET /api/v1/me` tells the
//! extension everything it needs at sign-in (`me`).

pub mod auth;
pub mod client_check;
pub mod me;
pub mod verifier;
