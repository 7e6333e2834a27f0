"""Talking to RouterOS over its API: the client, canonical values, fleet-wide reads."""
