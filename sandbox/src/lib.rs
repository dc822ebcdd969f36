//! salespane-sandbox
