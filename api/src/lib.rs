//! Wire types of the Salespane HTTP API, shared by the server and the extension.
