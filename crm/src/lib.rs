//! salespane-crm
