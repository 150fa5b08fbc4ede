"""What starts runs when no one is at the keyboard: cron iteration (``cron``), the schedule
and sensor tick algorithms (``ticks``), and backfills (``backfill``). Everything here takes
its clock as an argument, so tests drive it with a fake one; the daemon loops over
:func:`orch.core.scheduling.ticks.tick_all`."""
