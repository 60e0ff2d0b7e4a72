"""Executing a plan: run the fetches, merge the answers, shape the client's response."""
