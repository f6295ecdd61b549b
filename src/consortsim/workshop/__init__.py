"""The workshop view: a browser page where a room watches a leader leave and a consortium
rebuild (``consortsim workshop``), and the drawings behind it (also used by
``consortsim animate``).

- ``model``: ``WorkshopModel``, one consortium run twice on one seed, and the page's controls.
- ``drawing``: matplotlib network and time plots, sized for projection.
- ``components``: the page's Solara panels.
- ``app``: the page itself (``solara run consortsim.workshop.app``).
"""
