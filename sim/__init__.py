"""sharesim: an agent-based simulator of how people share a brand's posts.

Mesa model (:mod:`sim.model`) on a NetworkX social graph (:mod:`sim.network`),
people with the seven sharing motivations (:mod:`sim.motivations`), feeds
with limited attention (:mod:`sim.feed`), and metrics computed from the event
log alone (:mod:`sim.metrics`). Run it with ``sharesim run SCENARIO``.
"""

__version__ = "0.1.0"
