"""Platform adapters: each translates platform payloads to Requests and delivers Replies."""
