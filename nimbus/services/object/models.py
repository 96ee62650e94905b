"""The object store keeps no tables in the shared database: accounts' and containers'
listings are SQLite databases of their own on the ring's devices (store/listings.py), as
Swift keeps them, so this module only exists for the shape every service shares."""
