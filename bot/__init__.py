"""Channels (Telegram, Zalo, terminal), configuration and the command line."""
