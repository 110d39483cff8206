"""The browser page (Solara): watch the district, change a policy, see the spread.

Needs the ``viz`` extra. Served by ``tis-sim viz`` (the page module is ``sim.app.page``).
"""
