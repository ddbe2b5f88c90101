"""Subscribers: who gets which news and how (the conversation half of the bot).

`service` holds the database functions the handlers call; `prefs` parses and validates what people
type in /settings; `questions` turns a plain-text question into a topic and finds stories for it;
`texts` is the Arabic/English catalog of everything the conversation says.
"""
