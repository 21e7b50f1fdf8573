"""Queue pause rules (spec §5.10)."""
from datetime import timedelta

from ..exceptions import Forbidden, InvalidInput

def is_paused(queue, now):
    until = queue.get("paused_until")
    return until is not None and now <= until


def plan_queue_update(current, request, now):
    """Fields to $set for a create (`current` None) or update. A `pause_duration` pauses the
    queue from now for that many seconds; it needs `paused_by` and an unpaused queue."""
    duration = request.get("pause_duration")
    if duration is not None:
        if current is not None and is_paused(current, now):
            raise Forbidden("Cannot pause an already-paused queue")
        if not request.get("paused_by"):
            raise InvalidInput("Cannot pause without specifying paused_by")
    fields = {key: request[key] for key in ("paused_by", "paused_since", "paused_until")
              if key in request}
    if duration is not None:
        fields["paused_since"] = now
        fields["paused_until"] = now + timedelta(seconds=duration)
    return fields
