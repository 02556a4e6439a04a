//! Fake SimplyPrint: the API host, the files host, a print farm simulation
//! and outgoing webhooks.
