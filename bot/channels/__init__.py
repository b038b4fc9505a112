"""Messenger adapters: each turns its updates into Inbound and Replies into calls."""
