"""What runs on a host and touches the host. An agent never opens the database: it takes
versioned messages from the bus and reports back on it."""
