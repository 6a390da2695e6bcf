"""Events on a scenario's timeline: one module per event type, found through one table.

Each type (:class:`Event` subclass) holds its fields, its validation (:meth:`Event.parse`), its
simulated effect (:meth:`Event.simulate`) and, where it can run against a real broker, its live
effect (:meth:`Event.live`); :data:`EVENT_TYPES` maps scenario ``type`` names to them. A new
event type is one module whose class is decorated with :func:`event_type`, imported here.
"""

from kpart.simulation.events.base import EVENT_TYPES, Event, Outcome, event_type, runs_live

# The order of these imports is the order of the table, which error messages list.
# isort: off
from kpart.simulation.events.join import Join
from kpart.simulation.events.leave import Leave
from kpart.simulation.events.crash import Crash
from kpart.simulation.events.rolling_restart import RollingRestart
from kpart.simulation.events.static_bounce import StaticBounce
from kpart.simulation.events.subscribe import Subscribe
from kpart.simulation.events.create_topic import CreateTopic
from kpart.simulation.events.add_partitions import AddPartitions
from kpart.simulation.events.broker_outage import BrokerOutage
from kpart.simulation.events.rack_outage import RackOutage
# isort: on

__all__ = [
    "EVENT_TYPES",
    "AddPartitions",
    "BrokerOutage",
    "Crash",
    "CreateTopic",
    "Event",
    "Join",
    "Leave",
    "Outcome",
    "RackOutage",
    "RollingRestart",
    "StaticBounce",
    "Subscribe",
    "event_type",
    "runs_live",
]
