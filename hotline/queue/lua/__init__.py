"""The ACD's Lua scripts (a package so that the *.lua package data ships in wheels)."""
