"""Tables, database engine and every query the bot makes."""
