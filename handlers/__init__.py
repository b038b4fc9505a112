"""The bot's brain: knows checklists and people, never a messenger."""
