"""The central store: one service that every warehouse's edge syncs with.

store.py opens a backend (SQLite or PostgreSQL) behind one interface; app.py
serves the sync protocol (docs/sync.md), the ERP API and the read API over it.
"""
