"""Notifications (issue 15): events derived purely from the repository and as_of
(`events`, `operator`), what to send (`planner`), message text (`templates`), the record
of what was sent (`outbox`), and delivery to gateways (`gateways`, `sender`).

Only `gateways` talks to the network; everything else is a pure function or file I/O."""
