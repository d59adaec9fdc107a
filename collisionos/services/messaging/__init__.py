"""Customer messaging: templates rendered in a sandbox, channels (email, SMS outbox or webhook), the queue of
scheduled messages and the dispatcher that sends them exactly once (DOMAIN.md §3.8, §5.11).

- :mod:`.templates` renders a template for a record (``render_template``, ``context_for``).
- :mod:`.queue` queues a templated message on the customer's timeline (``queue_template_message``).
- :mod:`.dispatcher` sends every due timeline row (``dispatch_due``), recording each decision.
- :mod:`.channels` talks to the outside: SMTP, the SMS providers ("outbox", "webhook").
- :mod:`.outbox` and :mod:`.inbound`: staff mark outbox texts sent, and record a customer's STOP reply.
"""
