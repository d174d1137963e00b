"""What the team features deliver: each kind's message, plan and tick work, registered with the scheduler.

The scheduler (``bot.scheduler``) imports nothing from here: each feature hands its kinds to
``bot.scheduler.registry.Deliveries`` in ``TeamFeature.register_deliveries``, as it registers
its commands. ``context`` loads what the planners read; ``digest``, ``reminders`` (milestones,
risk reviews, escalations) and ``checkin`` (check-ins and nudges) say what goes out.
"""
