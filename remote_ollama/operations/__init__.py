"""Custom pyinfra operations: generators that yield commands only for what differs."""
